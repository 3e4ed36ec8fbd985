import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { WELCOME_EMAIL_JOB, type WelcomeEmailJobData } from '@forgestack/shared';
import {
  createWelcomeEmailHandler,
  defaultWelcomeEmailDependencies,
  type WelcomeEmailDependencies,
} from '../welcome-email.handler';

const validData: WelcomeEmailJobData = {
  userId: '00000000-0000-4000-8000-000000000001',
  email: 'user2@example.com',
  firstName: 'sample text 3',
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<WelcomeEmailJobData> {
  return {
    id: 'job-1',
    name: 'welcome-email',
    queueName: 'welcome-email',
    data,
    attemptsMade: 0,
    opts: { ...WELCOME_EMAIL_JOB.options },
  } as unknown as Job<WelcomeEmailJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<WelcomeEmailDependencies> = {}) {
  const deps = {
    logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    now: vi.fn<() => number>().mockReturnValueOnce(1_000).mockReturnValueOnce(1_250),
    perform: vi.fn(async () => undefined),
    composeEmail: defaultWelcomeEmailDependencies.composeEmail,
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    ...overrides,
  } satisfies WelcomeEmailDependencies;
  return { deps, handler: createWelcomeEmailHandler(deps) };
}

describe('handleWelcomeEmail', () => {
  it('runs the job and returns its result', async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      emailId: 'email-1',
    });
    expect(deps.perform).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'WelcomeEmail started',
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'WelcomeEmail completed',
    );
  });

  it('emails data.email, keyed by the job so a retry cannot send twice', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({ to: validData.email, idempotencyKey: 'welcome-email-job-1' }),
      expect.any(AbortSignal),
    );
  });

  it('rethrows when perform fails, so BullMQ retries the job', async () => {
    const failure = new Error('perform failed');
    const { deps, handler } = setup({
      perform: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'WelcomeEmail failed',
    );
  });

  it('rethrows when sendEmail fails, so BullMQ retries the job', async () => {
    const failure = new Error('sendEmail failed');
    const { deps, handler } = setup({
      sendEmail: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'WelcomeEmail failed',
    );
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { deps, handler } = setup();

    const invalid = { ...validData, userId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'userId', willRetry: false }),
      'WelcomeEmail failed',
    );
  });
});

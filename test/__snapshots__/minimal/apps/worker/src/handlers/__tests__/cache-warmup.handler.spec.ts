import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { CACHE_WARMUP_JOB, type CacheWarmupJobData } from '@forgestack/shared';
import { createCacheWarmupHandler, type CacheWarmupSteps } from '../cache-warmup.handler';

const validData: CacheWarmupJobData = {};

/** What each step's double returns, so a test can follow it into the next step. */
const results = {
  warmPricingCacheAfterDeploy: { from: 'warmPricingCacheAfterDeploy' },
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown, attemptsMade = 0): Job {
  return {
    id: 'job-1',
    name: 'cache-warmup',
    queueName: 'cache-warmup',
    data,
    attemptsMade,
    opts: { ...CACHE_WARMUP_JOB.options },
    updateData: vi.fn(async () => undefined),
  } as unknown as Job;
}

interface Doubles {
  steps?: Partial<CacheWarmupSteps>;
}

/** Doubles for every step and service; `doubles` swaps single ones. */
function setup(doubles: Doubles = {}) {
  const steps = {
    warmPricingCacheAfterDeploy: vi.fn(async () => results.warmPricingCacheAfterDeploy),
    ...doubles.steps,
  } satisfies CacheWarmupSteps;
  const logger = { info: vi.fn(), error: vi.fn() };
  const now = vi
    .fn((): number => 0)
    .mockReturnValueOnce(1_000)
    .mockReturnValueOnce(1_250);
  const handler = createCacheWarmupHandler({ steps, logger, now });
  return { steps, logger, handler };
}

const failure = new Error('the step failed');
const fails = async (): Promise<never> => {
  throw failure;
};

describe('handleCacheWarmup', () => {
  it('runs the steps in order and returns what each one handed on', async () => {
    const { handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('hands each step the data and what the steps before it returned', async () => {
    const { steps, handler } = setup();

    await handler(fakeJob(validData));

    expect(steps.warmPricingCacheAfterDeploy).toHaveBeenCalledWith(
      validData,
      expect.any(AbortSignal),
    );
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { logger, handler } = setup();

    await handler(fakeJob(validData));

    expect(logger.info).toHaveBeenCalledWith({ jobId: 'job-1', attempt: 1 }, 'CacheWarmup started');
    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'CacheWarmup completed',
    );
  });

  it.each([
    ['warmPricingCacheAfterDeploy', { steps: { warmPricingCacheAfterDeploy: fails } }],
  ] satisfies [string, Doubles][])(
    'rethrows when %s fails, so BullMQ retries the job',
    async (_name, doubles) => {
      const { logger, handler } = setup(doubles);

      await expect(handler(fakeJob(validData))).rejects.toBe(failure);
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
        'CacheWarmup failed',
      );
    },
  );

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { logger, handler } = setup();

    const invalid = null;
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(logger.info).not.toHaveBeenCalledWith(expect.anything(), 'CacheWarmup completed');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'data', willRetry: false }),
      'CacheWarmup failed',
    );
  });
});

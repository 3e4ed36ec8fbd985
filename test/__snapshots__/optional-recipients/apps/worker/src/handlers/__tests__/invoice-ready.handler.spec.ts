import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { INVOICE_READY_JOB, type InvoiceReadyJobData } from '@forgestack/shared';
import { FINISHED_STEPS_KEY } from '../../runtime/job-steps';
import {
  createInvoiceReadyHandler,
  type InvoiceReadyServices,
  type InvoiceReadySteps,
} from '../invoice-ready.handler';

const validData: InvoiceReadyJobData = {
  invoiceId: '00000000-0000-4000-8000-000000000001',
  contactEmail: 'user2@example.com',
  billingEmail: 'user3@example.com',
  callbackUrl: 'https://example.com/hooks/4',
};

/** What each step's double returns, so a test can follow it into the next step. */
const results = {
  sendEmail: { emailId: 'email-1' },
  postWebhook: { status: 202 },
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown, attemptsMade = 0): Job {
  return {
    id: 'job-1',
    name: 'invoice-ready',
    queueName: 'invoice-ready',
    data,
    attemptsMade,
    opts: { ...INVOICE_READY_JOB.options },
    updateData: vi.fn(async () => undefined),
  } as unknown as Job;
}

interface Doubles {
  steps?: Partial<InvoiceReadySteps>;
  services?: Partial<InvoiceReadyServices>;
}

/** Doubles for every step and service; `doubles` swaps single ones. */
function setup(doubles: Doubles = {}) {
  const steps = {
    composeEmail: vi.fn(async () => ({
      to: validData.contactEmail ?? '',
      subject: 'Invoice ready',
      text: 'The email the team writes',
    })),
    ...doubles.steps,
  } satisfies InvoiceReadySteps;
  const services = {
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    postWebhook: vi.fn(async () => ({ status: 202 })),
    ...doubles.services,
  } satisfies InvoiceReadyServices;
  const logger = { info: vi.fn(), error: vi.fn() };
  const now = vi
    .fn((): number => 0)
    .mockReturnValueOnce(1_000)
    .mockReturnValueOnce(1_250);
  const handler = createInvoiceReadyHandler({ steps, services, logger, now });
  return { steps, services, logger, handler };
}

const failure = new Error('the step failed');
const fails = async (): Promise<never> => {
  throw failure;
};

describe('handleInvoiceReady', () => {
  it('runs the steps in order and returns what each one handed on', async () => {
    const { handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('hands each step the data and what the steps before it returned', async () => {
    const { steps, handler } = setup();

    await handler(fakeJob(validData));

    expect(steps.composeEmail).toHaveBeenCalledWith(validData);
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { logger, handler } = setup();

    await handler(fakeJob(validData));

    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'InvoiceReady started',
    );
    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'InvoiceReady completed',
    );
  });

  it('emails data.contactEmail, keyed by the job so a retry cannot send twice', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.contactEmail,
        idempotencyKey: 'invoice-ready-job-1',
      }),
      expect.any(AbortSignal),
    );
  });

  it('sends no email when data.contactEmail is absent', async () => {
    const { steps, services, handler } = setup();

    const result = await handler(fakeJob({ ...validData, contactEmail: undefined }));

    expect(steps.composeEmail).not.toHaveBeenCalled();
    expect(services.sendEmail).not.toHaveBeenCalled();
    expect(result.sendEmail).toBeNull();
  });

  it('posts nothing when data.callbackUrl is absent', async () => {
    const { services, handler } = setup();

    const result = await handler(fakeJob({ ...validData, callbackUrl: undefined }));

    expect(services.postWebhook).not.toHaveBeenCalled();
    expect(result.postWebhook).toBeNull();
  });

  it('posts the webhook to data.callbackUrl', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.postWebhook).toHaveBeenCalledWith(
      {
        url: validData.callbackUrl,
        event: 'invoice-ready.completed',
        payload: { jobId: 'job-1', data: validData },
        idempotencyKey: 'invoice-ready-job-1',
      },
      expect.any(AbortSignal),
    );
  });

  it.each([
    ['composeEmail', { steps: { composeEmail: fails } }],
    ['sendEmail', { services: { sendEmail: fails } }],
    ['postWebhook', { services: { postWebhook: fails } }],
  ] satisfies [string, Doubles][])(
    'rethrows when %s fails, so BullMQ retries the job',
    async (_name, doubles) => {
      const { logger, handler } = setup(doubles);

      await expect(handler(fakeJob(validData))).rejects.toBe(failure);
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
        'InvoiceReady failed',
      );
    },
  );

  it('records the finished steps when a later one fails, and a retry skips them', async () => {
    const failing = setup({ services: { postWebhook: fails } });
    const job = fakeJob(validData);

    await expect(failing.handler(job)).rejects.toBe(failure);
    const recorded = { sendEmail: results.sendEmail };
    expect(job.updateData).toHaveBeenCalledWith({ ...validData, [FINISHED_STEPS_KEY]: recorded });

    const { steps, services, handler } = setup();
    const result = await handler(fakeJob({ ...validData, [FINISHED_STEPS_KEY]: recorded }, 1));

    expect(steps.composeEmail).not.toHaveBeenCalled();
    expect(services.sendEmail).not.toHaveBeenCalled();
    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { logger, handler } = setup();

    const invalid = { ...validData, invoiceId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(logger.info).not.toHaveBeenCalledWith(expect.anything(), 'InvoiceReady completed');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'invoiceId', willRetry: false }),
      'InvoiceReady failed',
    );
  });
});

import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { INVOICE_READY_JOB, type InvoiceReadyJobData } from '@forgestack/shared';
import {
  createInvoiceReadyHandler,
  defaultInvoiceReadyDependencies,
  type InvoiceReadyDependencies,
} from '../invoice-ready.handler';

const validData: InvoiceReadyJobData = {
  invoiceId: '00000000-0000-4000-8000-000000000001',
  contactEmail: 'user2@example.com',
  billingEmail: 'user3@example.com',
  callbackUrl: 'https://example.com/hooks/4',
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<InvoiceReadyJobData> {
  return {
    id: 'job-1',
    name: 'invoice-ready',
    queueName: 'invoice-ready',
    data,
    attemptsMade: 0,
    opts: { ...INVOICE_READY_JOB.options },
  } as unknown as Job<InvoiceReadyJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<InvoiceReadyDependencies> = {}) {
  const deps = {
    logger: { info: vi.fn(), error: vi.fn() },
    now: vi
      .fn((): number => 0)
      .mockReturnValueOnce(1_000)
      .mockReturnValueOnce(1_250),
    perform: vi.fn(async () => undefined),
    composeEmail: defaultInvoiceReadyDependencies.composeEmail,
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    postWebhook: vi.fn(async () => ({ status: 202 })),
    ...overrides,
  } satisfies InvoiceReadyDependencies;
  return { deps, handler: createInvoiceReadyHandler(deps) };
}

describe('handleInvoiceReady', () => {
  it('runs the job and returns its result', async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      emailId: 'email-1',
      webhookStatus: 202,
    });
    expect(deps.perform).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'InvoiceReady started',
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'InvoiceReady completed',
    );
  });

  it('emails data.contactEmail, keyed by the job so a retry cannot send twice', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.contactEmail,
        idempotencyKey: 'invoice-ready-job-1',
      }),
      expect.any(AbortSignal),
    );
  });

  it('sends no email when the data has no contactEmail', async () => {
    const { deps, handler } = setup();
    const { contactEmail: _absent, ...withoutRecipient } = validData;

    await handler(fakeJob(withoutRecipient));

    expect(deps.sendEmail).not.toHaveBeenCalled();
  });

  it('posts the webhook to data.callbackUrl', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.postWebhook).toHaveBeenCalledWith(
      {
        url: validData.callbackUrl,
        event: 'invoice-ready.completed',
        payload: { jobId: 'job-1', data: validData },
        idempotencyKey: 'invoice-ready-job-1',
      },
      expect.any(AbortSignal),
    );
  });

  it('posts no webhook when the data has no callbackUrl', async () => {
    const { deps, handler } = setup();
    const { callbackUrl: _absent, ...withoutUrl } = validData;

    await handler(fakeJob(withoutUrl));

    expect(deps.postWebhook).not.toHaveBeenCalled();
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
      'InvoiceReady failed',
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
      'InvoiceReady failed',
    );
  });

  it('rethrows when postWebhook fails, so BullMQ retries the job', async () => {
    const failure = new Error('postWebhook failed');
    const { deps, handler } = setup({
      postWebhook: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'InvoiceReady failed',
    );
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { deps, handler } = setup();

    const invalid = { ...validData, invoiceId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'invoiceId', willRetry: false }),
      'InvoiceReady failed',
    );
  });
});

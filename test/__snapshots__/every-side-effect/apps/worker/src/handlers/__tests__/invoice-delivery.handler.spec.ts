import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import {
  INVOICE_DELIVERY_JOB,
  NOTIFICATION_EMAIL_JOB,
  type InvoiceDeliveryJobData,
} from '@forgestack/shared';
import {
  createInvoiceDeliveryHandler,
  defaultInvoiceDeliveryDependencies,
  type InvoiceDeliveryDependencies,
  type ServiceTransaction,
} from '../invoice-delivery.handler';

const validData: InvoiceDeliveryJobData = {
  invoiceId: '00000000-0000-4000-8000-000000000001',
  userId: '00000000-0000-4000-8000-000000000002',
  userEmail: 'user3@example.com',
  callbackUrl: 'https://example.com/hooks/4',
  closedAt: '2026-01-06T09:30:00.000Z',
  format: 'pdf',
  amount: 7.5,
  lineCount: 8,
  paid: true,
  metadata: { key: 'value 10' },
  ccEmails: ['first 11', 'second 11'],
  taxRates: [12, 13],
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<InvoiceDeliveryJobData> {
  return {
    id: 'job-1',
    name: 'invoice-delivery',
    queueName: 'invoice-delivery',
    data,
    attemptsMade: 0,
    opts: { ...INVOICE_DELIVERY_JOB.options },
  } as unknown as Job<InvoiceDeliveryJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<InvoiceDeliveryDependencies> = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: vi.fn() } as unknown as ServiceTransaction;
  const deps = {
    logger: { info: vi.fn(), error: vi.fn() },
    now: vi
      .fn((): number => 0)
      .mockReturnValueOnce(1_000)
      .mockReturnValueOnce(1_250),
    perform: vi.fn(async () => undefined),
    withServiceContext: vi.fn((_reason: string, work: (tx: ServiceTransaction) => Promise<void>) =>
      work(tx),
    ),
    updateDatabase: vi.fn(async () => undefined),
    archivesThePdfInColdStorage: vi.fn(async () => undefined),
    composeEmail: defaultInvoiceDeliveryDependencies.composeEmail,
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    postWebhook: vi.fn(async () => ({ status: 202 })),
    toNotificationEmail: defaultInvoiceDeliveryDependencies.toNotificationEmail,
    enqueue: vi.fn(async () => 'follow-up-1'),
    ...overrides,
  } satisfies InvoiceDeliveryDependencies;
  return { deps, tx, handler: createInvoiceDeliveryHandler(deps) };
}

describe('handleInvoiceDelivery', () => {
  it('runs the job and returns its result', async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      emailId: 'email-1',
      webhookStatus: 202,
      followUpJobIds: ['follow-up-1'],
    });
    expect(deps.perform).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'InvoiceDelivery started',
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'InvoiceDelivery completed',
    );
  });

  it('runs updateDatabase inside withServiceContext', async () => {
    const { deps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.withServiceContext).toHaveBeenCalledWith(
      'jobs:invoice-delivery',
      expect.any(Function),
      {
        signal: expect.any(AbortSignal),
      },
    );
    expect(deps.updateDatabase).toHaveBeenCalledWith(tx, validData, expect.any(AbortSignal));
  });

  it('runs the step archivesThePdfInColdStorage', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.archivesThePdfInColdStorage).toHaveBeenCalledWith(
      validData,
      expect.any(AbortSignal),
    );
  });

  it('emails data.userEmail, keyed by the job so a retry cannot send twice', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.userEmail,
        idempotencyKey: 'invoice-delivery-job-1',
      }),
      expect.any(AbortSignal),
    );
  });

  it('posts the webhook to data.callbackUrl', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.postWebhook).toHaveBeenCalledWith(
      {
        url: validData.callbackUrl,
        event: 'invoice-delivery.completed',
        payload: { jobId: 'job-1', data: validData },
        idempotencyKey: 'invoice-delivery-job-1',
      },
      expect.any(AbortSignal),
    );
  });

  it('queues NOTIFICATION_EMAIL with data taken from this job', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.enqueue).toHaveBeenCalledWith(
      {
        queue: NOTIFICATION_EMAIL_JOB.queue,
        data: {
          userId: validData.userId,
          userEmail: validData.userEmail,
        },
        options: NOTIFICATION_EMAIL_JOB.options,
        jobId: 'invoice-delivery-job-1',
      },
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
      'InvoiceDelivery failed',
    );
  });

  it('rethrows when updateDatabase fails, so BullMQ retries the job', async () => {
    const failure = new Error('updateDatabase failed');
    const { deps, handler } = setup({
      updateDatabase: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'InvoiceDelivery failed',
    );
  });

  it('rethrows when archivesThePdfInColdStorage fails, so BullMQ retries the job', async () => {
    const failure = new Error('archivesThePdfInColdStorage failed');
    const { deps, handler } = setup({
      archivesThePdfInColdStorage: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'InvoiceDelivery failed',
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
      'InvoiceDelivery failed',
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
      'InvoiceDelivery failed',
    );
  });

  it('rethrows when enqueue fails, so BullMQ retries the job', async () => {
    const failure = new Error('enqueue failed');
    const { deps, handler } = setup({
      enqueue: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'InvoiceDelivery failed',
    );
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { deps, handler } = setup();

    const invalid = { ...validData, invoiceId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'invoiceId', willRetry: false }),
      'InvoiceDelivery failed',
    );
  });
});

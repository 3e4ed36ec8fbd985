import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import {
  INVOICE_DELIVERY_JOB,
  NOTIFICATION_EMAIL_JOB,
  type InvoiceDeliveryJobData,
} from '@forgestack/shared';
import { FINISHED_STEPS_KEY } from '../../runtime/job-steps';
import {
  invoiceDeliverySteps,
  createInvoiceDeliveryHandler,
  type InvoiceDeliveryResults,
  type InvoiceDeliveryServices,
  type InvoiceDeliverySteps,
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

/** What each step's double returns, so a test can follow it into the next step. */
const results = {
  updateDatabase: { from: 'updateDatabase' },
  archivePdfInColdStorage: { from: 'archivePdfInColdStorage' },
  sendEmail: { emailId: 'email-1' },
  postWebhook: { status: 202 },
  queueNotificationEmail: { jobId: 'follow-up-1' },
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown, attemptsMade = 0): Job {
  return {
    id: 'job-1',
    name: 'invoice-delivery',
    queueName: 'invoice-delivery',
    data,
    attemptsMade,
    opts: { ...INVOICE_DELIVERY_JOB.options },
    updateData: vi.fn(async () => undefined),
  } as unknown as Job;
}

interface Doubles {
  steps?: Partial<InvoiceDeliverySteps>;
  services?: Partial<InvoiceDeliveryServices>;
}

/** Doubles for every step and service; `doubles` swaps single ones. */
function setup(doubles: Doubles = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: vi.fn() } as unknown as ServiceTransaction;
  const steps = {
    updateDatabase: vi.fn(async () => results.updateDatabase),
    archivePdfInColdStorage: vi.fn(async () => results.archivePdfInColdStorage),
    composeEmail: vi.fn(async () => ({
      to: validData.userEmail,
      subject: 'Invoice delivery',
      text: 'The email the team writes',
    })),
    toNotificationEmail: vi.fn(invoiceDeliverySteps.toNotificationEmail),
    ...doubles.steps,
  } satisfies InvoiceDeliverySteps;
  const services = {
    withServiceContext: vi.fn(
      (
        _reason: string,
        work: (tx: ServiceTransaction) => Promise<InvoiceDeliveryResults['updateDatabase']>,
      ) => work(tx),
    ),
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    postWebhook: vi.fn(async () => ({ status: 202 })),
    enqueue: vi.fn(async () => 'follow-up-1'),
    ...doubles.services,
  } satisfies InvoiceDeliveryServices;
  const logger = { info: vi.fn(), error: vi.fn() };
  const now = vi
    .fn((): number => 0)
    .mockReturnValueOnce(1_000)
    .mockReturnValueOnce(1_250);
  const handler = createInvoiceDeliveryHandler({ steps, services, logger, now });
  return { steps, services, logger, tx, handler };
}

const failure = new Error('the step failed');
const fails = async (): Promise<never> => {
  throw failure;
};

describe('handleInvoiceDelivery', () => {
  it('runs the steps in order and returns what each one handed on', async () => {
    const { handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('hands each step the data and what the steps before it returned', async () => {
    const { steps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(steps.updateDatabase).toHaveBeenCalledWith(tx, validData, expect.any(AbortSignal));
    expect(steps.archivePdfInColdStorage).toHaveBeenCalledWith(
      validData,
      { updateDatabase: results.updateDatabase },
      expect.any(AbortSignal),
    );
    expect(steps.composeEmail).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase,
      archivePdfInColdStorage: results.archivePdfInColdStorage,
    });
    expect(steps.toNotificationEmail).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase,
      archivePdfInColdStorage: results.archivePdfInColdStorage,
      sendEmail: results.sendEmail,
      postWebhook: results.postWebhook,
    });
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { logger, handler } = setup();

    await handler(fakeJob(validData));

    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'InvoiceDelivery started',
    );
    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'InvoiceDelivery completed',
    );
  });

  it('runs updateDatabase inside withServiceContext', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.withServiceContext).toHaveBeenCalledWith(
      'jobs:invoice-delivery',
      expect.any(Function),
      {
        signal: expect.any(AbortSignal),
      },
    );
  });

  it('emails data.userEmail, keyed by the job so a retry cannot send twice', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.userEmail,
        idempotencyKey: 'invoice-delivery-job-1',
      }),
      expect.any(AbortSignal),
    );
  });

  it('posts the webhook to data.callbackUrl', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.postWebhook).toHaveBeenCalledWith(
      {
        url: validData.callbackUrl,
        event: 'invoice-delivery.completed',
        payload: { jobId: 'job-1', data: validData },
        idempotencyKey: 'invoice-delivery-job-1',
      },
      expect.any(AbortSignal),
    );
  });

  it('queues NOTIFICATION_EMAIL with the data toNotificationEmail built, keyed by the job', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.enqueue).toHaveBeenCalledWith(
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

  it.each([
    ['updateDatabase', { steps: { updateDatabase: fails } }],
    ['archivePdfInColdStorage', { steps: { archivePdfInColdStorage: fails } }],
    ['composeEmail', { steps: { composeEmail: fails } }],
    ['toNotificationEmail', { steps: { toNotificationEmail: fails } }],
    ['withServiceContext', { services: { withServiceContext: fails } }],
    ['sendEmail', { services: { sendEmail: fails } }],
    ['postWebhook', { services: { postWebhook: fails } }],
    ['enqueue', { services: { enqueue: fails } }],
  ] satisfies [string, Doubles][])(
    'rethrows when %s fails, so BullMQ retries the job',
    async (_name, doubles) => {
      const { logger, handler } = setup(doubles);

      await expect(handler(fakeJob(validData))).rejects.toBe(failure);
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
        'InvoiceDelivery failed',
      );
    },
  );

  it('records the finished steps when a later one fails, and a retry skips them', async () => {
    const failing = setup({ steps: { toNotificationEmail: fails } });
    const job = fakeJob(validData);

    await expect(failing.handler(job)).rejects.toBe(failure);
    const recorded = {
      updateDatabase: results.updateDatabase,
      archivePdfInColdStorage: results.archivePdfInColdStorage,
      sendEmail: results.sendEmail,
      postWebhook: results.postWebhook,
    };
    expect(job.updateData).toHaveBeenCalledWith({ ...validData, [FINISHED_STEPS_KEY]: recorded });

    const { steps, services, handler } = setup();
    const result = await handler(fakeJob({ ...validData, [FINISHED_STEPS_KEY]: recorded }, 1));

    expect(steps.updateDatabase).not.toHaveBeenCalled();
    expect(steps.archivePdfInColdStorage).not.toHaveBeenCalled();
    expect(steps.composeEmail).not.toHaveBeenCalled();
    expect(services.withServiceContext).not.toHaveBeenCalled();
    expect(services.sendEmail).not.toHaveBeenCalled();
    expect(services.postWebhook).not.toHaveBeenCalled();
    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { logger, handler } = setup();

    const invalid = { ...validData, invoiceId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(logger.info).not.toHaveBeenCalledWith(expect.anything(), 'InvoiceDelivery completed');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'invoiceId', willRetry: false }),
      'InvoiceDelivery failed',
    );
  });
});

import { withServiceContext } from '@forgestack/db';
import {
  INVOICE_DELIVERY_JOB,
  NOTIFICATION_EMAIL_JOB,
  parseInvoiceDeliveryJobData,
  type InvoiceDeliveryJobData,
  type NotificationEmailJobData,
} from '@forgestack/shared';
import { defineJob, notWritten, type JobLog, type JobRun, type Json } from '../runtime/job-steps';
import { getProducer, type FollowUpJob } from '../runtime/producer';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import {
  postSignedWebhook,
  webhookSecretFromEnv,
  type WebhookRequest,
  type WebhookResponse,
} from '../services/webhook.client';
import { createLogger } from '../telemetry/logger';

/** The transaction handle that `withServiceContext` passes to its callback. */
export type ServiceTransaction = Parameters<Parameters<typeof withServiceContext>[1]>[0];

/**
 * What each step hands on to the steps after it, by step name. A finished step's
 * result is kept on the job, so a retry skips the step: keep each one JSON. Give
 * each `Json` the shape its step returns, e.g. `{ url: string }`.
 */
export type InvoiceDeliveryResults = {
  updateDatabase: Json;
  archivePdfInColdStorage: Json;
  sendEmail: { emailId: string };
  postWebhook: { status: number };
  queueNotificationEmail: { jobId: string };
};

/**
 * The job's own code, one function per step. Each gets the validated data, what the
 * steps before it returned, and a signal that aborts when the attempt times out or
 * the job is cancelled.
 */
export interface InvoiceDeliverySteps {
  /** The job's reads and writes, on `tx`: they commit together, or roll back when this throws. */
  updateDatabase(
    tx: ServiceTransaction,
    data: InvoiceDeliveryJobData,
    signal: AbortSignal,
  ): Promise<InvoiceDeliveryResults['updateDatabase']>;
  /** Archives the PDF in cold storage */
  archivePdfInColdStorage(
    data: InvoiceDeliveryJobData,
    earlier: Pick<InvoiceDeliveryResults, 'updateDatabase'>,
    signal: AbortSignal,
  ): Promise<InvoiceDeliveryResults['archivePdfInColdStorage']>;
  /** The email sent to `data.userEmail`. */
  composeEmail(
    data: InvoiceDeliveryJobData,
    earlier: Pick<InvoiceDeliveryResults, 'updateDatabase' | 'archivePdfInColdStorage'>,
  ): Promise<EmailMessage>;
  /** The data of the NOTIFICATION_EMAIL job queued by queueNotificationEmail. */
  toNotificationEmail(
    data: InvoiceDeliveryJobData,
    earlier: Pick<
      InvoiceDeliveryResults,
      'updateDatabase' | 'archivePdfInColdStorage' | 'sendEmail' | 'postWebhook'
    >,
  ): Promise<NotificationEmailJobData>;
}

/**
 * Write the job here. A step still holding `notWritten` fails the job at once,
 * without retries, naming itself and this file's line.
 */
export const invoiceDeliverySteps: InvoiceDeliverySteps = {
  updateDatabase: notWritten('updateDatabase'),
  archivePdfInColdStorage: notWritten('archivePdfInColdStorage'),
  composeEmail: notWritten('composeEmail'),
  // NOTIFICATION_EMAIL's optional fields not filled from this job's data: title, message.
  toNotificationEmail: async (data) => ({
    userId: data.userId,
    userEmail: data.userEmail,
  }),
};

/** How the steps reach the world. The defaults are the real services; tests replace them. */
export interface InvoiceDeliveryServices {
  withServiceContext: (
    reason: string,
    work: (tx: ServiceTransaction) => Promise<InvoiceDeliveryResults['updateDatabase']>,
    options: { signal: AbortSignal },
  ) => Promise<InvoiceDeliveryResults['updateDatabase']>;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
  /** Signs the request and POSTs it; throws on a non-2xx answer. */
  postWebhook: (request: WebhookRequest, signal: AbortSignal) => Promise<WebhookResponse>;
  enqueue: (followUp: FollowUpJob<unknown>, signal: AbortSignal) => Promise<string>;
}

export const invoiceDeliveryServices: InvoiceDeliveryServices = {
  withServiceContext,
  sendEmail: (message, signal) => emailService.send(message, signal),
  postWebhook: (request, signal) =>
    postSignedWebhook(request, { secret: webhookSecretFromEnv(), signal }),
  enqueue: (followUp, signal) => getProducer().enqueue(followUp, signal),
};

/** Invoice delivery, step by step: Renders an invoice, stores it, emails it and tells the customer's system */
export async function runInvoiceDelivery(
  run: JobRun<InvoiceDeliveryJobData, InvoiceDeliveryResults>,
  steps: InvoiceDeliverySteps,
  services: InvoiceDeliveryServices,
): Promise<void> {
  const updateDatabase = await run.step('updateDatabase', () =>
    services.withServiceContext(
      'jobs:invoice-delivery',
      (tx) => steps.updateDatabase(tx, run.data, run.signal),
      { signal: run.signal },
    ),
  );
  const archivePdfInColdStorage = await run.step('archivePdfInColdStorage', () =>
    steps.archivePdfInColdStorage(run.data, { updateDatabase }, run.signal),
  );
  const sendEmail = await run.step('sendEmail', async () => {
    const message = await steps.composeEmail(run.data, { updateDatabase, archivePdfInColdStorage });
    const sent = await services.sendEmail({ ...message, idempotencyKey: run.key }, run.signal);
    return { emailId: sent.id };
  });
  const postWebhook = await run.step('postWebhook', async () => {
    const response = await services.postWebhook(
      {
        url: run.data.callbackUrl,
        event: 'invoice-delivery.completed',
        payload: { jobId: run.jobId, data: run.data },
        idempotencyKey: run.key,
      },
      run.signal,
    );
    return { status: response.status };
  });
  await run.step('queueNotificationEmail', async () => ({
    jobId: await services.enqueue(
      {
        queue: NOTIFICATION_EMAIL_JOB.queue,
        data: await steps.toNotificationEmail(run.data, {
          updateDatabase,
          archivePdfInColdStorage,
          sendEmail,
          postWebhook,
        }),
        options: NOTIFICATION_EMAIL_JOB.options,
        jobId: run.key,
      },
      run.signal,
    ),
  }));
}

export interface InvoiceDeliveryOverrides {
  steps?: Partial<InvoiceDeliverySteps>;
  services?: Partial<InvoiceDeliveryServices>;
  logger?: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now?: () => number;
}

/**
 * Builds the Invoice delivery processor for BullMQ: the steps above, with the data
 * checked against the contract first, within the job's timeout, logged, and
 * rethrowing errors so BullMQ retries (see ../runtime/job-steps).
 */
export function createInvoiceDeliveryHandler(overrides: InvoiceDeliveryOverrides = {}) {
  const steps = { ...invoiceDeliverySteps, ...overrides.steps };
  const services = { ...invoiceDeliveryServices, ...overrides.services };
  return defineJob<InvoiceDeliveryJobData, InvoiceDeliveryResults>({
    name: 'InvoiceDelivery',
    timeoutMs: INVOICE_DELIVERY_JOB.timeoutMs,
    parse: parseInvoiceDeliveryJobData,
    logger: overrides.logger ?? createLogger('InvoiceDelivery'),
    now: overrides.now ?? (() => performance.now()),
    steps: (run) => runInvoiceDelivery(run, steps, services),
  });
}

/** The processor the worker registers for QUEUE_NAMES.INVOICE_DELIVERY. */
export const handleInvoiceDelivery = createInvoiceDeliveryHandler();

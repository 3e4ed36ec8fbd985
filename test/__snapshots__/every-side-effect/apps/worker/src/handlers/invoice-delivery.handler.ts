import type { Job } from 'bullmq';
import { withServiceContext } from '@forgestack/db';
import {
  INVOICE_DELIVERY_JOB,
  NOTIFICATION_EMAIL_JOB,
  parseInvoiceDeliveryJobData,
  type InvoiceDeliveryJobData,
  type NotificationEmailJobData,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
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

/** What a completed Invoice delivery job returns; BullMQ keeps it as the job's return value. */
export interface InvoiceDeliveryJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The id the email service gave the message sent to `userEmail`. */
  emailId: string;
  /** The HTTP status the webhook at `callbackUrl` answered. */
  webhookStatus: number;
  /** Ids of the follow-up jobs queued, in the order of `followUps` below. */
  followUpJobIds: string[];
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createInvoiceDeliveryHandler`.
 */
export interface InvoiceDeliveryDependencies {
  logger: Pick<ReturnType<typeof createLogger>, 'info' | 'error'>;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Renders an invoice, stores it, emails it and tells the customer's system */
  perform: (data: InvoiceDeliveryJobData, signal: AbortSignal) => Promise<void>;
  /** Opens the transaction `updateDatabase` runs in. */
  withServiceContext: (
    reason: string,
    work: (tx: ServiceTransaction) => Promise<void>,
    options: { signal: AbortSignal },
  ) => Promise<void>;
  /** The job's reads and writes: they commit together, or roll back when this throws. */
  updateDatabase: (
    tx: ServiceTransaction,
    data: InvoiceDeliveryJobData,
    signal: AbortSignal,
  ) => Promise<void>;
  /** Archives the PDF in cold storage */
  archivesThePdfInColdStorage: (data: InvoiceDeliveryJobData, signal: AbortSignal) => Promise<void>;
  /** The email sent to `data.userEmail`. */
  composeEmail: (data: InvoiceDeliveryJobData) => EmailMessage;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
  /** Signs the request and POSTs it; throws on a non-2xx answer. */
  postWebhook: (request: WebhookRequest, signal: AbortSignal) => Promise<WebhookResponse>;
  /** The data of the NOTIFICATION_EMAIL job queued when this one succeeds. */
  toNotificationEmail: (data: InvoiceDeliveryJobData) => NotificationEmailJobData;
  enqueue: (followUp: FollowUpJob<unknown>, signal: AbortSignal) => Promise<string>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultInvoiceDeliveryDependencies: InvoiceDeliveryDependencies = {
  logger: createLogger('InvoiceDelivery'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  withServiceContext,
  // Fill in: the job's reads and writes, on `tx`.
  updateDatabase: async () => undefined,
  // Fill in: archivesThePdfInColdStorage (see its description above).
  archivesThePdfInColdStorage: async () => undefined,
  // Fill in: the subject and text of the email.
  composeEmail: (data) => ({
    to: data.userEmail,
    subject: 'Invoice delivery',
    text: "Renders an invoice, stores it, emails it and tells the customer's system",
  }),
  sendEmail: (message, signal) => emailService.send(message, signal),
  postWebhook: (request, signal) =>
    postSignedWebhook(request, { secret: webhookSecretFromEnv(), signal }),
  // NOTIFICATION_EMAIL's optional fields not filled from this job's data: title, message.
  toNotificationEmail: (data) => ({
    userId: data.userId,
    userEmail: data.userEmail,
  }),
  enqueue: (followUp, signal) => getProducer().enqueue(followUp, signal),
};

/**
 * Builds the Invoice delivery processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createInvoiceDeliveryHandler(overrides: Partial<InvoiceDeliveryDependencies> = {}) {
  const deps: InvoiceDeliveryDependencies = { ...defaultInvoiceDeliveryDependencies, ...overrides };

  return async function handleInvoiceDelivery(
    job: Job<InvoiceDeliveryJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<InvoiceDeliveryJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'InvoiceDelivery started');
    try {
      const data = validateJobData(job, parseInvoiceDeliveryJobData);
      // The same on every attempt, so receivers and BullMQ can drop repeats.
      const jobKey = `${job.queueName}-${job.id}`;
      const result = await runWithTimeout(
        INVOICE_DELIVERY_JOB.timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          await deps.perform(data, stepSignal);
          await deps.withServiceContext(
            'jobs:invoice-delivery',
            (tx) => deps.updateDatabase(tx, data, stepSignal),
            { signal: stepSignal },
          );
          await deps.archivesThePdfInColdStorage(data, stepSignal);
          const email = await deps.sendEmail(
            { ...deps.composeEmail(data), idempotencyKey: jobKey },
            stepSignal,
          );
          const webhook = await deps.postWebhook(
            {
              url: data.callbackUrl,
              event: 'invoice-delivery.completed',
              payload: { jobId: job.id, data },
              idempotencyKey: jobKey,
            },
            stepSignal,
          );
          const followUpJobIds: string[] = [];
          followUpJobIds.push(
            await deps.enqueue(
              {
                queue: NOTIFICATION_EMAIL_JOB.queue,
                data: deps.toNotificationEmail(data),
                options: NOTIFICATION_EMAIL_JOB.options,
                jobId: jobKey,
              },
              stepSignal,
            ),
          );
          return {
            emailId: email.id,
            webhookStatus: webhook.status,
            followUpJobIds,
          };
        },
      );
      const durationMs = Math.round(deps.now() - startedAt);
      deps.logger.info({ jobId: job.id, durationMs }, 'InvoiceDelivery completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'InvoiceDelivery failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.INVOICE_DELIVERY. */
export const handleInvoiceDelivery = createInvoiceDeliveryHandler();

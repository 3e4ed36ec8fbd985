import type { Job } from 'bullmq';
import {
  INVOICE_READY_JOB,
  parseInvoiceReadyJobData,
  type InvoiceReadyJobData,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import {
  postSignedWebhook,
  webhookSecretFromEnv,
  type WebhookRequest,
  type WebhookResponse,
} from '../services/webhook.client';
import { createLogger } from '../telemetry/logger';

/** What a completed Invoice ready job returns; BullMQ keeps it as the job's return value. */
export interface InvoiceReadyJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The id the email service gave the message sent to `contactEmail`, when it was present. */
  emailId?: string;
  /** The HTTP status the webhook at `callbackUrl` answered, when it was present. */
  webhookStatus?: number;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createInvoiceReadyHandler`.
 */
export interface InvoiceReadyDependencies {
  logger: Pick<ReturnType<typeof createLogger>, 'info' | 'error'>;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Tells a customer and their integration that an invoice is ready */
  perform: (data: InvoiceReadyJobData, signal: AbortSignal) => Promise<void>;
  /** The email sent to `data.contactEmail`, when the data holds it. */
  composeEmail: (data: InvoiceReadyJobData & { contactEmail: string }) => EmailMessage;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
  /** Signs the request and POSTs it; throws on a non-2xx answer. */
  postWebhook: (request: WebhookRequest, signal: AbortSignal) => Promise<WebhookResponse>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultInvoiceReadyDependencies: InvoiceReadyDependencies = {
  logger: createLogger('InvoiceReady'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  // Fill in: the subject and text of the email.
  composeEmail: (data) => ({
    to: data.contactEmail,
    subject: 'Invoice ready',
    text: 'Tells a customer and their integration that an invoice is ready',
  }),
  sendEmail: (message, signal) => emailService.send(message, signal),
  postWebhook: (request, signal) =>
    postSignedWebhook(request, { secret: webhookSecretFromEnv(), signal }),
};

/**
 * Builds the Invoice ready processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createInvoiceReadyHandler(overrides: Partial<InvoiceReadyDependencies> = {}) {
  const deps: InvoiceReadyDependencies = { ...defaultInvoiceReadyDependencies, ...overrides };

  return async function handleInvoiceReady(
    job: Job<InvoiceReadyJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<InvoiceReadyJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'InvoiceReady started');
    try {
      const data = validateJobData(job, parseInvoiceReadyJobData);
      // The same on every attempt, so receivers and BullMQ can drop repeats.
      const jobKey = `${job.queueName}-${job.id}`;
      const result = await runWithTimeout(
        INVOICE_READY_JOB.timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          await deps.perform(data, stepSignal);
          // contactEmail is optional: no address, no email.
          const recipient = data.contactEmail;
          if (recipient === undefined)
            deps.logger.info({ jobId: job.id }, 'InvoiceReady: no contactEmail, email not sent');
          const email =
            recipient === undefined
              ? undefined
              : await deps.sendEmail(
                  {
                    ...deps.composeEmail({ ...data, contactEmail: recipient }),
                    idempotencyKey: jobKey,
                  },
                  stepSignal,
                );
          // callbackUrl is optional: no URL, no webhook.
          const webhookUrl = data.callbackUrl;
          if (webhookUrl === undefined)
            deps.logger.info({ jobId: job.id }, 'InvoiceReady: no callbackUrl, webhook not posted');
          const webhook =
            webhookUrl === undefined
              ? undefined
              : await deps.postWebhook(
                  {
                    url: webhookUrl,
                    event: 'invoice-ready.completed',
                    payload: { jobId: job.id, data },
                    idempotencyKey: jobKey,
                  },
                  stepSignal,
                );
          return {
            ...(email ? { emailId: email.id } : {}),
            ...(webhook ? { webhookStatus: webhook.status } : {}),
          };
        },
      );
      const durationMs = Math.round(deps.now() - startedAt);
      deps.logger.info({ jobId: job.id, durationMs }, 'InvoiceReady completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'InvoiceReady failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.INVOICE_READY. */
export const handleInvoiceReady = createInvoiceReadyHandler();

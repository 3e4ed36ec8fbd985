import {
  INVOICE_READY_JOB,
  parseInvoiceReadyJobData,
  type InvoiceReadyJobData,
} from '@forgestack/shared';
import { defineJob, notWritten, type JobLog, type JobRun } from '../runtime/job-steps';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import {
  postSignedWebhook,
  webhookSecretFromEnv,
  type WebhookRequest,
  type WebhookResponse,
} from '../services/webhook.client';
import { createLogger } from '../telemetry/logger';

/**
 * What each step hands on to the steps after it, by step name. A finished step's
 * result is kept on the job, so a retry skips the step: keep each one JSON. Give
 * each `Json` the shape its step returns, e.g. `{ url: string }`.
 */
export type InvoiceReadyResults = {
  sendEmail: { emailId: string } | null;
  postWebhook: { status: number } | null;
};

/**
 * The job's own code, one function per step. Each gets the validated data, what the
 * steps before it returned, and a signal that aborts when the attempt times out or
 * the job is cancelled.
 */
export interface InvoiceReadySteps {
  /** The email sent to `data.contactEmail`. */
  composeEmail(data: InvoiceReadyJobData & { contactEmail: string }): Promise<EmailMessage>;
}

/**
 * Write the job here. A step still holding `notWritten` fails the job at once,
 * without retries, naming itself and this file's line.
 */
export const invoiceReadySteps: InvoiceReadySteps = {
  composeEmail: notWritten('composeEmail'),
};

/** How the steps reach the world. The defaults are the real services; tests replace them. */
export interface InvoiceReadyServices {
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
  /** Signs the request and POSTs it; throws on a non-2xx answer. */
  postWebhook: (request: WebhookRequest, signal: AbortSignal) => Promise<WebhookResponse>;
}

export const invoiceReadyServices: InvoiceReadyServices = {
  sendEmail: (message, signal) => emailService.send(message, signal),
  postWebhook: (request, signal) =>
    postSignedWebhook(request, { secret: webhookSecretFromEnv(), signal }),
};

/** Invoice ready, step by step: Tells a customer and their integration that an invoice is ready */
export async function runInvoiceReady(
  run: JobRun<InvoiceReadyJobData, InvoiceReadyResults>,
  steps: InvoiceReadySteps,
  services: InvoiceReadyServices,
): Promise<void> {
  await run.step('sendEmail', async () => {
    // data.contactEmail is optional: without it no email is sent, and the step hands on null.
    if (run.data.contactEmail === undefined) return null;
    const recipient = run.data.contactEmail;
    const message = await steps.composeEmail({ ...run.data, contactEmail: recipient });
    const sent = await services.sendEmail({ ...message, idempotencyKey: run.key }, run.signal);
    return { emailId: sent.id };
  });
  await run.step('postWebhook', async () => {
    // data.callbackUrl is optional: without it nothing is posted, and the step hands on null.
    if (run.data.callbackUrl === undefined) return null;
    const response = await services.postWebhook(
      {
        url: run.data.callbackUrl,
        event: 'invoice-ready.completed',
        payload: { jobId: run.jobId, data: run.data },
        idempotencyKey: run.key,
      },
      run.signal,
    );
    return { status: response.status };
  });
}

export interface InvoiceReadyOverrides {
  steps?: Partial<InvoiceReadySteps>;
  services?: Partial<InvoiceReadyServices>;
  logger?: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now?: () => number;
}

/**
 * Builds the Invoice ready processor for BullMQ: the steps above, with the data
 * checked against the contract first, within the job's timeout, logged, and
 * rethrowing errors so BullMQ retries (see ../runtime/job-steps).
 */
export function createInvoiceReadyHandler(overrides: InvoiceReadyOverrides = {}) {
  const steps = { ...invoiceReadySteps, ...overrides.steps };
  const services = { ...invoiceReadyServices, ...overrides.services };
  return defineJob<InvoiceReadyJobData, InvoiceReadyResults>({
    name: 'InvoiceReady',
    timeoutMs: INVOICE_READY_JOB.timeoutMs,
    parse: parseInvoiceReadyJobData,
    logger: overrides.logger ?? createLogger('InvoiceReady'),
    now: overrides.now ?? (() => performance.now()),
    steps: (run) => runInvoiceReady(run, steps, services),
  });
}

/** The processor the worker registers for QUEUE_NAMES.INVOICE_READY. */
export const handleInvoiceReady = createInvoiceReadyHandler();

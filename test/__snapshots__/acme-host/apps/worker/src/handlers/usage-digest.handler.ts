import type { Job } from "bullmq";
import { withServiceContext } from "@acme/db";
import {
  USAGE_DIGEST_JOB,
  parseUsageDigestJobData,
  type UsageDigestJobData
} from "@acme/shared";
import { describeFailure, validateJobData } from "../runtime/job-outcome";
import { runWithTimeout } from "../runtime/job-timeout";
import {
  emailService,
  type EmailMessage,
  type SentEmail
} from "../services/email.service";
import {
  postSignedWebhook,
  webhookSecretFromEnv,
  type WebhookRequest,
  type WebhookResponse
} from "../services/webhook.client";
import { createLogger } from "../telemetry/logger";
import { withJobSpan } from "../telemetry/tracing";

/** The transaction handle that `withServiceContext` passes to its callback. */
export type ServiceTransaction = Parameters<
  Parameters<typeof withServiceContext>[1]
>[0];

/** What a completed Usage digest job returns; BullMQ keeps it as the job's return value. */
export interface UsageDigestJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The id the email service gave the message sent to `ownerEmail`. */
  emailId: string;
  /** The HTTP status the webhook at `webhookUrl` answered. */
  webhookStatus: number;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createUsageDigestHandler`.
 */
export interface UsageDigestDependencies {
  logger: Pick<ReturnType<typeof createLogger>, "info" | "error">;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Emails an account's weekly usage digest and posts it to the account's webhook */
  perform: (data: UsageDigestJobData, signal: AbortSignal) => Promise<void>;
  /** Opens the transaction `updateDatabase` runs in. */
  withServiceContext: (
    reason: string,
    work: (tx: ServiceTransaction) => Promise<void>,
    options: { signal: AbortSignal }
  ) => Promise<void>;
  /** The job's reads and writes: they commit together, or roll back when this throws. */
  updateDatabase: (
    tx: ServiceTransaction,
    data: UsageDigestJobData,
    signal: AbortSignal
  ) => Promise<void>;
  /** Stores the digest PDF */
  storesTheDigestPdf: (
    data: UsageDigestJobData,
    signal: AbortSignal
  ) => Promise<void>;
  /** The email sent to `data.ownerEmail`. */
  composeEmail: (data: UsageDigestJobData) => EmailMessage;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
  /** Signs the request and POSTs it; throws on a non-2xx answer. */
  postWebhook: (
    request: WebhookRequest,
    signal: AbortSignal
  ) => Promise<WebhookResponse>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultUsageDigestDependencies: UsageDigestDependencies = {
  logger: createLogger("UsageDigest"),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  withServiceContext,
  // Fill in: the job's reads and writes, on `tx`.
  updateDatabase: async () => undefined,
  // Fill in: storesTheDigestPdf (see its description above).
  storesTheDigestPdf: async () => undefined,
  // Fill in: the subject and text of the email.
  composeEmail: (data) => ({
    to: data.ownerEmail,
    subject: "Usage digest",
    text: "Emails an account's weekly usage digest and posts it to the account's webhook"
  }),
  sendEmail: (message, signal) => emailService.send(message, signal),
  postWebhook: (request, signal) =>
    postSignedWebhook(request, { secret: webhookSecretFromEnv(), signal })
};

/**
 * Builds the Usage digest processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createUsageDigestHandler(
  overrides: Partial<UsageDigestDependencies> = {}
) {
  const deps: UsageDigestDependencies = {
    ...defaultUsageDigestDependencies,
    ...overrides
  };

  return async function handleUsageDigest(
    job: Job<UsageDigestJobData>,
    _token?: string,
    signal?: AbortSignal
  ): Promise<UsageDigestJobResult> {
    return withJobSpan("usage-digest", async () => {
      const startedAt = deps.now();
      deps.logger.info(
        { jobId: job.id, attempt: job.attemptsMade + 1 },
        "UsageDigest started"
      );
      try {
        const data = validateJobData(job, parseUsageDigestJobData);
        // The same on every attempt, so receivers and BullMQ can drop repeats.
        const jobKey = `${job.queueName}-${job.id}`;
        const result = await runWithTimeout(
          USAGE_DIGEST_JOB.timeoutMs,
          job,
          signal,
          async (stepSignal) => {
            await deps.perform(data, stepSignal);
            await deps.withServiceContext(
              "jobs:usage-digest",
              (tx) => deps.updateDatabase(tx, data, stepSignal),
              { signal: stepSignal }
            );
            await deps.storesTheDigestPdf(data, stepSignal);
            const email = await deps.sendEmail(
              { ...deps.composeEmail(data), idempotencyKey: jobKey },
              stepSignal
            );
            const webhook = await deps.postWebhook(
              {
                url: data.webhookUrl,
                event: "usage-digest.completed",
                payload: { jobId: job.id, data },
                idempotencyKey: jobKey
              },
              stepSignal
            );
            return {
              emailId: email.id,
              webhookStatus: webhook.status
            };
          }
        );
        const durationMs = Math.round(deps.now() - startedAt);
        deps.logger.info(
          { jobId: job.id, durationMs },
          "UsageDigest completed"
        );
        return { durationMs, ...result };
      } catch (error) {
        deps.logger.error(describeFailure(job, error), "UsageDigest failed");
        throw error;
      }
    });
  };
}

/** The processor the worker registers for QUEUE_NAMES.USAGE_DIGEST. */
export const handleUsageDigest = createUsageDigestHandler();

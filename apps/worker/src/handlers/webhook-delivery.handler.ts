import type { Job } from 'bullmq';
import {
  WEBHOOK_DELIVERY_JOB,
  parseWebhookDeliveryJobData,
  type WebhookDeliveryJobData,
  type JobLogger,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
import {
  postSignedWebhook,
  webhookSecretFromEnv,
  type WebhookRequest,
  type WebhookResponse,
} from '../services/webhook.client';
import { createLogger } from '../telemetry/logger';

/** What a completed Webhook delivery job returns; BullMQ keeps it as the job's return value. */
export interface WebhookDeliveryJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The HTTP status the webhook at `url` answered. */
  webhookStatus: number;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createWebhookDeliveryHandler`.
 */
export interface WebhookDeliveryDependencies {
  logger: JobLogger;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Delivers an event to a customer's webhook endpoint, signed with HMAC-SHA256 */
  perform: (data: WebhookDeliveryJobData, signal: AbortSignal) => Promise<void>;
  /** Signs the request and POSTs it; throws on a non-2xx answer. */
  postWebhook: (request: WebhookRequest, signal: AbortSignal) => Promise<WebhookResponse>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultWebhookDeliveryDependencies: WebhookDeliveryDependencies = {
  logger: createLogger('WebhookDelivery'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  postWebhook: (request, signal) =>
    postSignedWebhook(request, { secret: webhookSecretFromEnv(), signal }),
};

/**
 * Builds the Webhook delivery processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createWebhookDeliveryHandler(overrides: Partial<WebhookDeliveryDependencies> = {}) {
  const deps: WebhookDeliveryDependencies = { ...defaultWebhookDeliveryDependencies, ...overrides };

  return async function handleWebhookDelivery(
    job: Job<WebhookDeliveryJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<WebhookDeliveryJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'WebhookDelivery started');
    try {
      const data = validateJobData(job, parseWebhookDeliveryJobData);
      // The same on every attempt, so receivers and BullMQ can drop repeats.
      const jobKey = `${job.queueName}-${job.id}`;
      const result = await runWithTimeout(
        WEBHOOK_DELIVERY_JOB.timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          await deps.perform(data, stepSignal);
          const webhook = await deps.postWebhook(
            {
              url: data.url,
              event: data.event,
              payload: data.payload,
              idempotencyKey: jobKey,
            },
            stepSignal,
          );
          return {
            webhookStatus: webhook.status,
          };
        },
      );
      const durationMs = Math.round(deps.now() - startedAt);
      deps.logger.info({ jobId: job.id, durationMs }, 'WebhookDelivery completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'WebhookDelivery failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.WEBHOOK_DELIVERY. */
export const handleWebhookDelivery = createWebhookDeliveryHandler();

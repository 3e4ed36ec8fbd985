import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Webhook delivery: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Delivers an event to a customer's webhook endpoint, signed with HMAC-SHA256
 *
 * Trigger: When an event a customer subscribed to happens (WebhooksService.dispatch)
 */
export interface WebhookDeliveryJobData {
  /** The customer's endpoint (http(s) URL) */
  url: string;
  /** Event name, e.g. invoice.paid */
  event: string;
  /** The event's body */
  payload: Record<string, unknown>;
}

export const WEBHOOK_DELIVERY_JOB = {
  queue: QUEUE_NAMES.WEBHOOK_DELIVERY,
  // 9 attempts: 8 retries after the first try, waiting 5s, 10s, 20s, …, 640s (exponential backoff).
  options: { attempts: 9, backoff: { type: 'exponential', delay: 5000 }, priority: 3 },
  timeoutMs: 15_000,
  data: {
    url: { type: 'url', required: true },
    event: { type: 'string', required: true },
    payload: { type: 'object', required: true },
  },
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseWebhookDeliveryJobData(input: unknown): WebhookDeliveryJobData {
  return parseJobData(input, WEBHOOK_DELIVERY_JOB.data);
}

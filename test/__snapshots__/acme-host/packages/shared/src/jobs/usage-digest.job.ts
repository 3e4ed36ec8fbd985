import { parseJobData } from "../job-data";
import type { JobDefinition } from "../job-definition";
import { QUEUE_NAMES } from "../queues";

/**
 * Usage digest: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Emails an account's weekly usage digest and posts it to the account's webhook
 *
 * Trigger: Every Monday at 06:00 UTC, one job per account
 */
export interface UsageDigestJobData {
  /** The account (UUID) */
  accountId: string;
  /** Who gets the digest (email address) */
  ownerEmail: string;
  /** The account's webhook (http(s) URL) */
  webhookUrl: string;
  /** First day of the week (ISO-8601 date-time) */
  weekStart: string;
  /** Where else to post it */
  channels?: "email" | "slack";
}

export const USAGE_DIGEST_JOB = {
  queue: QUEUE_NAMES.USAGE_DIGEST,
  // 5 attempts: 4 retries after the first try, waiting 500ms, 1s, 2s, 4s (exponential backoff).
  options: {
    attempts: 5,
    backoff: { type: "exponential", delay: 500 },
    priority: 6
  },
  timeoutMs: 90_000,
  data: {
    accountId: { type: "uuid", required: true },
    ownerEmail: { type: "email", required: true },
    webhookUrl: { type: "url", required: true },
    weekStart: { type: "iso-date-time", required: true },
    channels: { type: "enum", values: ["email", "slack"], required: false }
  }
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseUsageDigestJobData(input: unknown): UsageDigestJobData {
  return parseJobData(input, USAGE_DIGEST_JOB.data);
}

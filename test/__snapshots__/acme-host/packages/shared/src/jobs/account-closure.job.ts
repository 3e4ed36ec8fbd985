import { parseJobData } from "../job-data";
import type { JobDefinition } from "../job-definition";
import { QUEUE_NAMES } from "../queues";

/**
 * Account closure: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Closes an account and sends its final usage digest
 *
 * Trigger: When the owner confirms closing the account
 */
export interface AccountClosureJobData {
  /** The account (UUID) */
  accountId: string;
  /** The owner (email address) */
  ownerEmail: string;
  /** The account's webhook (http(s) URL) */
  webhookUrl: string;
  /** Start of the last week (ISO-8601 date-time) */
  weekStart: string;
}

export const ACCOUNT_CLOSURE_JOB = {
  queue: QUEUE_NAMES.ACCOUNT_CLOSURE,
  // 4 attempts: 3 retries after the first try, waiting 10s, 10s, 10s (fixed backoff).
  options: {
    attempts: 4,
    backoff: { type: "fixed", delay: 10000 },
    priority: 5
  },
  timeoutMs: 60_000,
  data: {
    accountId: { type: "uuid", required: true },
    ownerEmail: { type: "email", required: true },
    webhookUrl: { type: "url", required: true },
    weekStart: { type: "iso-date-time", required: true }
  }
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseAccountClosureJobData(
  input: unknown
): AccountClosureJobData {
  return parseJobData(input, ACCOUNT_CLOSURE_JOB.data);
}

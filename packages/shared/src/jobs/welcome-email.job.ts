import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Welcome email: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Sends the welcome email to a user who has just signed up
 *
 * Trigger: After a user signs up (UsersService.signUp)
 */
export interface WelcomeEmailJobData {
  /** The new user (UUID) */
  userId: string;
  /** Where the welcome email goes (email address) */
  email: string;
  /** Used in the greeting when present */
  firstName?: string;
}

export const WELCOME_EMAIL_JOB = {
  queue: QUEUE_NAMES.WELCOME_EMAIL,
  // 4 attempts: 3 retries after the first try, waiting 1s, 2s, 4s (exponential backoff).
  options: { attempts: 4, backoff: { type: 'exponential', delay: 1000 }, priority: 2 },
  timeoutMs: 30_000,
  data: {
    userId: { type: 'uuid', required: true },
    email: { type: 'email', required: true },
    firstName: { type: 'string', required: false },
  },
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseWelcomeEmailJobData(input: unknown): WelcomeEmailJobData {
  return parseJobData(input, WELCOME_EMAIL_JOB.data);
}

import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Notification email: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Emails a user about something that happened in their account
 *
 * Trigger: Queued by services and other jobs when a user should hear about an event
 */
export interface NotificationEmailJobData {
  /** The user to notify (UUID) */
  userId: string;
  /** Where the notification goes (email address) */
  userEmail: string;
  /** Subject line; a generic one is used when absent */
  title?: string;
  /** Body text */
  message?: string;
}

export const NOTIFICATION_EMAIL_JOB = {
  queue: QUEUE_NAMES.NOTIFICATION_EMAIL,
  // 6 attempts: 5 retries after the first try, waiting 2s, 4s, 8s, 16s, 32s (exponential backoff).
  options: { attempts: 6, backoff: { type: 'exponential', delay: 2000 }, priority: 4 },
  timeoutMs: 30_000,
  data: {
    userId: { type: 'uuid', required: true },
    userEmail: { type: 'email', required: true },
    title: { type: 'string', required: false },
    message: { type: 'string', required: false },
  },
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseNotificationEmailJobData(input: unknown): NotificationEmailJobData {
  return parseJobData(input, NOTIFICATION_EMAIL_JOB.data);
}

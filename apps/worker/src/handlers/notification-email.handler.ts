import type { Job } from 'bullmq';
import {
  NOTIFICATION_EMAIL_JOB,
  parseNotificationEmailJobData,
  type NotificationEmailJobData,
  type JobLogger,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import { createLogger } from '../telemetry/logger';

/** What a completed Notification email job returns; BullMQ keeps it as the job's return value. */
export interface NotificationEmailJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The id the email service gave the message sent to `userEmail`. */
  emailId: string;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createNotificationEmailHandler`.
 */
export interface NotificationEmailDependencies {
  logger: JobLogger;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Emails a user about something that happened in their account */
  perform: (data: NotificationEmailJobData, signal: AbortSignal) => Promise<void>;
  /** The email sent to `data.userEmail`. */
  composeEmail: (data: NotificationEmailJobData) => EmailMessage;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultNotificationEmailDependencies: NotificationEmailDependencies = {
  logger: createLogger('NotificationEmail'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  composeEmail: (data) => ({
    to: data.userEmail,
    subject: data.title ?? 'You have a new notification',
    text: data.message ?? 'Something happened in your account. Sign in to see the details.',
  }),
  sendEmail: (message, signal) => emailService.send(message, signal),
};

/**
 * Builds the Notification email processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createNotificationEmailHandler(
  overrides: Partial<NotificationEmailDependencies> = {},
) {
  const deps: NotificationEmailDependencies = {
    ...defaultNotificationEmailDependencies,
    ...overrides,
  };

  return async function handleNotificationEmail(
    job: Job<NotificationEmailJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<NotificationEmailJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'NotificationEmail started');
    try {
      const data = validateJobData(job, parseNotificationEmailJobData);
      // The same on every attempt, so receivers and BullMQ can drop repeats.
      const jobKey = `${job.queueName}-${job.id}`;
      const result = await runWithTimeout(
        NOTIFICATION_EMAIL_JOB.timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          await deps.perform(data, stepSignal);
          const email = await deps.sendEmail(
            { ...deps.composeEmail(data), idempotencyKey: jobKey },
            stepSignal,
          );
          return {
            emailId: email.id,
          };
        },
      );
      const durationMs = Math.round(deps.now() - startedAt);
      deps.logger.info({ jobId: job.id, durationMs }, 'NotificationEmail completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'NotificationEmail failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.NOTIFICATION_EMAIL. */
export const handleNotificationEmail = createNotificationEmailHandler();

import type { Job } from 'bullmq';
import {
  WELCOME_EMAIL_JOB,
  parseWelcomeEmailJobData,
  type WelcomeEmailJobData,
  type JobLogger,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import { createLogger } from '../telemetry/logger';

/** What a completed Welcome email job returns; BullMQ keeps it as the job's return value. */
export interface WelcomeEmailJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The id the email service gave the message sent to `email`. */
  emailId: string;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createWelcomeEmailHandler`.
 */
export interface WelcomeEmailDependencies {
  logger: JobLogger;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Sends the welcome email to a user who has just signed up */
  perform: (data: WelcomeEmailJobData, signal: AbortSignal) => Promise<void>;
  /** The email sent to `data.email`. */
  composeEmail: (data: WelcomeEmailJobData) => EmailMessage;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultWelcomeEmailDependencies: WelcomeEmailDependencies = {
  logger: createLogger('WelcomeEmail'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  composeEmail: (data) => ({
    to: data.email,
    subject: 'Welcome to ForgeStack',
    text: [
      `Hi ${data.firstName ?? 'there'},`,
      '',
      'Your account is ready. Sign in any time to create your first organization.',
    ].join('\n'),
  }),
  sendEmail: (message, signal) => emailService.send(message, signal),
};

/**
 * Builds the Welcome email processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createWelcomeEmailHandler(overrides: Partial<WelcomeEmailDependencies> = {}) {
  const deps: WelcomeEmailDependencies = { ...defaultWelcomeEmailDependencies, ...overrides };

  return async function handleWelcomeEmail(
    job: Job<WelcomeEmailJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<WelcomeEmailJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'WelcomeEmail started');
    try {
      const data = validateJobData(job, parseWelcomeEmailJobData);
      // The same on every attempt, so receivers and BullMQ can drop repeats.
      const jobKey = `${job.queueName}-${job.id}`;
      const result = await runWithTimeout(
        WELCOME_EMAIL_JOB.timeoutMs,
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
      deps.logger.info({ jobId: job.id, durationMs }, 'WelcomeEmail completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'WelcomeEmail failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.WELCOME_EMAIL. */
export const handleWelcomeEmail = createWelcomeEmailHandler();

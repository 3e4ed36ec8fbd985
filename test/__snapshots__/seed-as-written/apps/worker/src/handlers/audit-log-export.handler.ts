import type { Job } from 'bullmq';
import { withServiceContext } from '@forgestack/db';
import {
  AUDIT_LOG_EXPORT_JOB,
  parseAuditLogExportJobData,
  type AuditLogExportJobData,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import { createLogger } from '../telemetry/logger';

/** The transaction handle that `withServiceContext` passes to its callback. */
export type ServiceTransaction = Parameters<Parameters<typeof withServiceContext>[1]>[0];

/** What a completed Audit log export job returns; BullMQ keeps it as the job's return value. */
export interface AuditLogExportJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** The id the email service gave the message sent to `userEmail`. */
  emailId: string;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createAuditLogExportHandler`.
 */
export interface AuditLogExportDependencies {
  logger: Pick<ReturnType<typeof createLogger>, 'info' | 'error'>;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Generate CSV export of audit logs for a date range and email to user */
  perform: (data: AuditLogExportJobData, signal: AbortSignal) => Promise<void>;
  /** Opens the transaction `updateDatabase` runs in. */
  withServiceContext: (
    reason: string,
    work: (tx: ServiceTransaction) => Promise<void>,
    options: { signal: AbortSignal },
  ) => Promise<void>;
  /** The job's reads and writes: they commit together, or roll back when this throws. */
  updateDatabase: (
    tx: ServiceTransaction,
    data: AuditLogExportJobData,
    signal: AbortSignal,
  ) => Promise<void>;
  /** Generates CSV file */
  generatesCsvFile: (data: AuditLogExportJobData, signal: AbortSignal) => Promise<void>;
  /** Uploads to R2/S3 storage */
  uploadsToR2S3Storage: (data: AuditLogExportJobData, signal: AbortSignal) => Promise<void>;
  /** Creates notification for user */
  createsNotificationForUser: (data: AuditLogExportJobData, signal: AbortSignal) => Promise<void>;
  /** The email sent to `data.userEmail`. */
  composeEmail: (data: AuditLogExportJobData) => EmailMessage;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultAuditLogExportDependencies: AuditLogExportDependencies = {
  logger: createLogger('AuditLogExport'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  withServiceContext,
  // Fill in: the job's reads and writes, on `tx`.
  updateDatabase: async () => undefined,
  // Fill in: generatesCsvFile (see its description above).
  generatesCsvFile: async () => undefined,
  // Fill in: uploadsToR2S3Storage (see its description above).
  uploadsToR2S3Storage: async () => undefined,
  // Fill in: createsNotificationForUser (see its description above).
  createsNotificationForUser: async () => undefined,
  // Fill in: the subject and text of the email.
  composeEmail: (data) => ({
    to: data.userEmail,
    subject: 'Audit log export',
    text: 'Generate CSV export of audit logs for a date range and email to user',
  }),
  sendEmail: (message, signal) => emailService.send(message, signal),
};

/**
 * Builds the Audit log export processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createAuditLogExportHandler(overrides: Partial<AuditLogExportDependencies> = {}) {
  const deps: AuditLogExportDependencies = { ...defaultAuditLogExportDependencies, ...overrides };

  return async function handleAuditLogExport(
    job: Job<AuditLogExportJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<AuditLogExportJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'AuditLogExport started');
    try {
      const data = validateJobData(job, parseAuditLogExportJobData);
      // The same on every attempt, so receivers and BullMQ can drop repeats.
      const jobKey = `${job.queueName}-${job.id}`;
      const result = await runWithTimeout(
        AUDIT_LOG_EXPORT_JOB.timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          await deps.perform(data, stepSignal);
          await deps.withServiceContext(
            'jobs:audit-log-export',
            (tx) => deps.updateDatabase(tx, data, stepSignal),
            { signal: stepSignal },
          );
          await deps.generatesCsvFile(data, stepSignal);
          await deps.uploadsToR2S3Storage(data, stepSignal);
          await deps.createsNotificationForUser(data, stepSignal);
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
      deps.logger.info({ jobId: job.id, durationMs }, 'AuditLogExport completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'AuditLogExport failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.AUDIT_LOG_EXPORT. */
export const handleAuditLogExport = createAuditLogExportHandler();

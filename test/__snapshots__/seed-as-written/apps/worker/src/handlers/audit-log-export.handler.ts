import { withServiceContext } from '@forgestack/db';
import {
  AUDIT_LOG_EXPORT_JOB,
  parseAuditLogExportJobData,
  type AuditLogExportJobData,
} from '@forgestack/shared';
import { defineJob, notWritten, type JobLog, type JobRun, type Json } from '../runtime/job-steps';
import { emailService, type EmailMessage, type SentEmail } from '../services/email.service';
import { createLogger } from '../telemetry/logger';

/** The transaction handle that `withServiceContext` passes to its callback. */
export type ServiceTransaction = Parameters<Parameters<typeof withServiceContext>[1]>[0];

/**
 * What each step hands on to the steps after it, by step name. A finished step's
 * result is kept on the job, so a retry skips the step: keep each one JSON. Give
 * each `Json` the shape its step returns, e.g. `{ url: string }`.
 */
export type AuditLogExportResults = {
  updateDatabase: Json;
  generateCsvFile: Json;
  uploadToR2S3Storage: Json;
  createNotificationForUser: Json;
  sendEmail: { emailId: string };
};

/**
 * The job's own code, one function per step. Each gets the validated data, what the
 * steps before it returned, and a signal that aborts when the attempt times out or
 * the job is cancelled.
 */
export interface AuditLogExportSteps {
  /** The job's reads and writes, on `tx`: they commit together, or roll back when this throws. */
  updateDatabase(
    tx: ServiceTransaction,
    data: AuditLogExportJobData,
    signal: AbortSignal,
  ): Promise<AuditLogExportResults['updateDatabase']>;
  /** Generates CSV file */
  generateCsvFile(
    data: AuditLogExportJobData,
    earlier: Pick<AuditLogExportResults, 'updateDatabase'>,
    signal: AbortSignal,
  ): Promise<AuditLogExportResults['generateCsvFile']>;
  /** Uploads to R2/S3 storage */
  uploadToR2S3Storage(
    data: AuditLogExportJobData,
    earlier: Pick<AuditLogExportResults, 'updateDatabase' | 'generateCsvFile'>,
    signal: AbortSignal,
  ): Promise<AuditLogExportResults['uploadToR2S3Storage']>;
  /** Creates notification for user */
  createNotificationForUser(
    data: AuditLogExportJobData,
    earlier: Pick<
      AuditLogExportResults,
      'updateDatabase' | 'generateCsvFile' | 'uploadToR2S3Storage'
    >,
    signal: AbortSignal,
  ): Promise<AuditLogExportResults['createNotificationForUser']>;
  /** The email sent to `data.userEmail`. */
  composeEmail(
    data: AuditLogExportJobData,
    earlier: Pick<
      AuditLogExportResults,
      'updateDatabase' | 'generateCsvFile' | 'uploadToR2S3Storage' | 'createNotificationForUser'
    >,
  ): Promise<EmailMessage>;
}

/**
 * Write the job here. A step still holding `notWritten` fails the job at once,
 * without retries, naming itself and this file's line.
 */
export const auditLogExportSteps: AuditLogExportSteps = {
  updateDatabase: notWritten('updateDatabase'),
  generateCsvFile: notWritten('generateCsvFile'),
  uploadToR2S3Storage: notWritten('uploadToR2S3Storage'),
  createNotificationForUser: notWritten('createNotificationForUser'),
  composeEmail: notWritten('composeEmail'),
};

/** How the steps reach the world. The defaults are the real services; tests replace them. */
export interface AuditLogExportServices {
  withServiceContext: (
    reason: string,
    work: (tx: ServiceTransaction) => Promise<AuditLogExportResults['updateDatabase']>,
    options: { signal: AbortSignal },
  ) => Promise<AuditLogExportResults['updateDatabase']>;
  sendEmail: (message: EmailMessage, signal: AbortSignal) => Promise<SentEmail>;
}

export const auditLogExportServices: AuditLogExportServices = {
  withServiceContext,
  sendEmail: (message, signal) => emailService.send(message, signal),
};

/** Audit log export, step by step: Generate CSV export of audit logs for a date range and email to user */
export async function runAuditLogExport(
  run: JobRun<AuditLogExportJobData, AuditLogExportResults>,
  steps: AuditLogExportSteps,
  services: AuditLogExportServices,
): Promise<void> {
  const updateDatabase = await run.step('updateDatabase', () =>
    services.withServiceContext(
      'jobs:audit-log-export',
      (tx) => steps.updateDatabase(tx, run.data, run.signal),
      { signal: run.signal },
    ),
  );
  const generateCsvFile = await run.step('generateCsvFile', () =>
    steps.generateCsvFile(run.data, { updateDatabase }, run.signal),
  );
  const uploadToR2S3Storage = await run.step('uploadToR2S3Storage', () =>
    steps.uploadToR2S3Storage(run.data, { updateDatabase, generateCsvFile }, run.signal),
  );
  const createNotificationForUser = await run.step('createNotificationForUser', () =>
    steps.createNotificationForUser(
      run.data,
      { updateDatabase, generateCsvFile, uploadToR2S3Storage },
      run.signal,
    ),
  );
  await run.step('sendEmail', async () => {
    const message = await steps.composeEmail(run.data, {
      updateDatabase,
      generateCsvFile,
      uploadToR2S3Storage,
      createNotificationForUser,
    });
    const sent = await services.sendEmail({ ...message, idempotencyKey: run.key }, run.signal);
    return { emailId: sent.id };
  });
}

export interface AuditLogExportOverrides {
  steps?: Partial<AuditLogExportSteps>;
  services?: Partial<AuditLogExportServices>;
  logger?: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now?: () => number;
}

/**
 * Builds the Audit log export processor for BullMQ: the steps above, with the data
 * checked against the contract first, within the job's timeout, logged, and
 * rethrowing errors so BullMQ retries (see ../runtime/job-steps).
 */
export function createAuditLogExportHandler(overrides: AuditLogExportOverrides = {}) {
  const steps = { ...auditLogExportSteps, ...overrides.steps };
  const services = { ...auditLogExportServices, ...overrides.services };
  return defineJob<AuditLogExportJobData, AuditLogExportResults>({
    name: 'AuditLogExport',
    timeoutMs: AUDIT_LOG_EXPORT_JOB.timeoutMs,
    parse: parseAuditLogExportJobData,
    logger: overrides.logger ?? createLogger('AuditLogExport'),
    now: overrides.now ?? (() => performance.now()),
    steps: (run) => runAuditLogExport(run, steps, services),
  });
}

/** The processor the worker registers for QUEUE_NAMES.AUDIT_LOG_EXPORT. */
export const handleAuditLogExport = createAuditLogExportHandler();

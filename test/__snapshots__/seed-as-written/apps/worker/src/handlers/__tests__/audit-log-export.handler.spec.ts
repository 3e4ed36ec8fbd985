import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { AUDIT_LOG_EXPORT_JOB, type AuditLogExportJobData } from '@forgestack/shared';
import { FINISHED_STEPS_KEY } from '../../runtime/job-steps';
import {
  createAuditLogExportHandler,
  type AuditLogExportResults,
  type AuditLogExportServices,
  type AuditLogExportSteps,
  type ServiceTransaction,
} from '../audit-log-export.handler';

const validData: AuditLogExportJobData = {
  orgId: '00000000-0000-4000-8000-000000000001',
  userId: '00000000-0000-4000-8000-000000000002',
  userEmail: 'user3@example.com',
  startDate: '2026-01-05T09:30:00.000Z',
  endDate: '2026-01-06T09:30:00.000Z',
  filters: { key: 'value 6' },
};

/** What each step's double returns, so a test can follow it into the next step. */
const results = {
  updateDatabase: { from: 'updateDatabase' },
  generateCsvFile: { from: 'generateCsvFile' },
  uploadToR2S3Storage: { from: 'uploadToR2S3Storage' },
  createNotificationForUser: { from: 'createNotificationForUser' },
  sendEmail: { emailId: 'email-1' },
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown, attemptsMade = 0): Job {
  return {
    id: 'job-1',
    name: 'audit-log-export',
    queueName: 'audit-log-export',
    data,
    attemptsMade,
    opts: { ...AUDIT_LOG_EXPORT_JOB.options },
    updateData: vi.fn(async () => undefined),
  } as unknown as Job;
}

interface Doubles {
  steps?: Partial<AuditLogExportSteps>;
  services?: Partial<AuditLogExportServices>;
}

/** Doubles for every step and service; `doubles` swaps single ones. */
function setup(doubles: Doubles = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: vi.fn() } as unknown as ServiceTransaction;
  const steps = {
    updateDatabase: vi.fn(async () => results.updateDatabase),
    generateCsvFile: vi.fn(async () => results.generateCsvFile),
    uploadToR2S3Storage: vi.fn(async () => results.uploadToR2S3Storage),
    createNotificationForUser: vi.fn(async () => results.createNotificationForUser),
    composeEmail: vi.fn(async () => ({
      to: validData.userEmail,
      subject: 'Audit log export',
      text: 'The email the team writes',
    })),
    ...doubles.steps,
  } satisfies AuditLogExportSteps;
  const services = {
    withServiceContext: vi.fn(
      (
        _reason: string,
        work: (tx: ServiceTransaction) => Promise<AuditLogExportResults['updateDatabase']>,
      ) => work(tx),
    ),
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    ...doubles.services,
  } satisfies AuditLogExportServices;
  const logger = { info: vi.fn(), error: vi.fn() };
  const now = vi
    .fn((): number => 0)
    .mockReturnValueOnce(1_000)
    .mockReturnValueOnce(1_250);
  const handler = createAuditLogExportHandler({ steps, services, logger, now });
  return { steps, services, logger, tx, handler };
}

const failure = new Error('the step failed');
const fails = async (): Promise<never> => {
  throw failure;
};

describe('handleAuditLogExport', () => {
  it('runs the steps in order and returns what each one handed on', async () => {
    const { handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('hands each step the data and what the steps before it returned', async () => {
    const { steps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(steps.updateDatabase).toHaveBeenCalledWith(tx, validData, expect.any(AbortSignal));
    expect(steps.generateCsvFile).toHaveBeenCalledWith(
      validData,
      { updateDatabase: results.updateDatabase },
      expect.any(AbortSignal),
    );
    expect(steps.uploadToR2S3Storage).toHaveBeenCalledWith(
      validData,
      { updateDatabase: results.updateDatabase, generateCsvFile: results.generateCsvFile },
      expect.any(AbortSignal),
    );
    expect(steps.createNotificationForUser).toHaveBeenCalledWith(
      validData,
      {
        updateDatabase: results.updateDatabase,
        generateCsvFile: results.generateCsvFile,
        uploadToR2S3Storage: results.uploadToR2S3Storage,
      },
      expect.any(AbortSignal),
    );
    expect(steps.composeEmail).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase,
      generateCsvFile: results.generateCsvFile,
      uploadToR2S3Storage: results.uploadToR2S3Storage,
      createNotificationForUser: results.createNotificationForUser,
    });
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { logger, handler } = setup();

    await handler(fakeJob(validData));

    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'AuditLogExport started',
    );
    expect(logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'AuditLogExport completed',
    );
  });

  it('runs updateDatabase inside withServiceContext', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.withServiceContext).toHaveBeenCalledWith(
      'jobs:audit-log-export',
      expect.any(Function),
      {
        signal: expect.any(AbortSignal),
      },
    );
  });

  it('emails data.userEmail, keyed by the job so a retry cannot send twice', async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.userEmail,
        idempotencyKey: 'audit-log-export-job-1',
      }),
      expect.any(AbortSignal),
    );
  });

  it.each([
    ['updateDatabase', { steps: { updateDatabase: fails } }],
    ['generateCsvFile', { steps: { generateCsvFile: fails } }],
    ['uploadToR2S3Storage', { steps: { uploadToR2S3Storage: fails } }],
    ['createNotificationForUser', { steps: { createNotificationForUser: fails } }],
    ['composeEmail', { steps: { composeEmail: fails } }],
    ['withServiceContext', { services: { withServiceContext: fails } }],
    ['sendEmail', { services: { sendEmail: fails } }],
  ] satisfies [string, Doubles][])(
    'rethrows when %s fails, so BullMQ retries the job',
    async (_name, doubles) => {
      const { logger, handler } = setup(doubles);

      await expect(handler(fakeJob(validData))).rejects.toBe(failure);
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
        'AuditLogExport failed',
      );
    },
  );

  it('records the finished steps when a later one fails, and a retry skips them', async () => {
    const failing = setup({ steps: { composeEmail: fails } });
    const job = fakeJob(validData);

    await expect(failing.handler(job)).rejects.toBe(failure);
    const recorded = {
      updateDatabase: results.updateDatabase,
      generateCsvFile: results.generateCsvFile,
      uploadToR2S3Storage: results.uploadToR2S3Storage,
      createNotificationForUser: results.createNotificationForUser,
    };
    expect(job.updateData).toHaveBeenCalledWith({ ...validData, [FINISHED_STEPS_KEY]: recorded });

    const { steps, services, handler } = setup();
    const result = await handler(fakeJob({ ...validData, [FINISHED_STEPS_KEY]: recorded }, 1));

    expect(steps.updateDatabase).not.toHaveBeenCalled();
    expect(steps.generateCsvFile).not.toHaveBeenCalled();
    expect(steps.uploadToR2S3Storage).not.toHaveBeenCalled();
    expect(steps.createNotificationForUser).not.toHaveBeenCalled();
    expect(services.withServiceContext).not.toHaveBeenCalled();
    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { logger, handler } = setup();

    const invalid = { ...validData, orgId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(logger.info).not.toHaveBeenCalledWith(expect.anything(), 'AuditLogExport completed');
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'orgId', willRetry: false }),
      'AuditLogExport failed',
    );
  });
});

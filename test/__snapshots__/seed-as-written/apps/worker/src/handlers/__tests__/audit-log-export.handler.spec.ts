import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { AUDIT_LOG_EXPORT_JOB, type AuditLogExportJobData } from '@forgestack/shared';
import {
  createAuditLogExportHandler,
  defaultAuditLogExportDependencies,
  type AuditLogExportDependencies,
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

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<AuditLogExportJobData> {
  return {
    id: 'job-1',
    name: 'audit-log-export',
    queueName: 'audit-log-export',
    data,
    attemptsMade: 0,
    opts: { ...AUDIT_LOG_EXPORT_JOB.options },
  } as unknown as Job<AuditLogExportJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<AuditLogExportDependencies> = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: vi.fn() } as unknown as ServiceTransaction;
  const deps = {
    logger: { info: vi.fn(), error: vi.fn() },
    now: vi
      .fn((): number => 0)
      .mockReturnValueOnce(1_000)
      .mockReturnValueOnce(1_250),
    perform: vi.fn(async () => undefined),
    withServiceContext: vi.fn((_reason: string, work: (tx: ServiceTransaction) => Promise<void>) =>
      work(tx),
    ),
    updateDatabase: vi.fn(async () => undefined),
    generatesCsvFile: vi.fn(async () => undefined),
    uploadsToR2S3Storage: vi.fn(async () => undefined),
    createsNotificationForUser: vi.fn(async () => undefined),
    composeEmail: defaultAuditLogExportDependencies.composeEmail,
    sendEmail: vi.fn(async () => ({ id: 'email-1' })),
    ...overrides,
  } satisfies AuditLogExportDependencies;
  return { deps, tx, handler: createAuditLogExportHandler(deps) };
}

describe('handleAuditLogExport', () => {
  it('runs the job and returns its result', async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      emailId: 'email-1',
    });
    expect(deps.perform).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'AuditLogExport started',
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'AuditLogExport completed',
    );
  });

  it('runs updateDatabase inside withServiceContext', async () => {
    const { deps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.withServiceContext).toHaveBeenCalledWith(
      'jobs:audit-log-export',
      expect.any(Function),
      {
        signal: expect.any(AbortSignal),
      },
    );
    expect(deps.updateDatabase).toHaveBeenCalledWith(tx, validData, expect.any(AbortSignal));
  });

  it('runs the step generatesCsvFile', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.generatesCsvFile).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('runs the step uploadsToR2S3Storage', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.uploadsToR2S3Storage).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('runs the step createsNotificationForUser', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.createsNotificationForUser).toHaveBeenCalledWith(
      validData,
      expect.any(AbortSignal),
    );
  });

  it('emails data.userEmail, keyed by the job so a retry cannot send twice', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.userEmail,
        idempotencyKey: 'audit-log-export-job-1',
      }),
      expect.any(AbortSignal),
    );
  });

  it('rethrows when perform fails, so BullMQ retries the job', async () => {
    const failure = new Error('perform failed');
    const { deps, handler } = setup({
      perform: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'AuditLogExport failed',
    );
  });

  it('rethrows when updateDatabase fails, so BullMQ retries the job', async () => {
    const failure = new Error('updateDatabase failed');
    const { deps, handler } = setup({
      updateDatabase: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'AuditLogExport failed',
    );
  });

  it('rethrows when generatesCsvFile fails, so BullMQ retries the job', async () => {
    const failure = new Error('generatesCsvFile failed');
    const { deps, handler } = setup({
      generatesCsvFile: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'AuditLogExport failed',
    );
  });

  it('rethrows when uploadsToR2S3Storage fails, so BullMQ retries the job', async () => {
    const failure = new Error('uploadsToR2S3Storage failed');
    const { deps, handler } = setup({
      uploadsToR2S3Storage: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'AuditLogExport failed',
    );
  });

  it('rethrows when createsNotificationForUser fails, so BullMQ retries the job', async () => {
    const failure = new Error('createsNotificationForUser failed');
    const { deps, handler } = setup({
      createsNotificationForUser: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'AuditLogExport failed',
    );
  });

  it('rethrows when sendEmail fails, so BullMQ retries the job', async () => {
    const failure = new Error('sendEmail failed');
    const { deps, handler } = setup({
      sendEmail: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'AuditLogExport failed',
    );
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { deps, handler } = setup();

    const invalid = { ...validData, orgId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'orgId', willRetry: false }),
      'AuditLogExport failed',
    );
  });
});

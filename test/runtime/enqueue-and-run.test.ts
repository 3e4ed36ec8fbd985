import { randomUUID } from 'node:crypto';
import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createQueueService,
  createRuntimeHost,
  loadRuntimeModules,
  startHostWorkers,
  type RuntimeHost,
  type RuntimeModules,
} from '../support/runtime-host.js';
import type {
  NotificationEmailData,
  UsageReportData,
  UsageReportResult,
} from '../support/runtime-jobs.js';
import {
  HANG_MS,
  QueueHarness,
  uniqueName,
  useTeardown,
  waitFor,
} from '../support/runtime-services.js';

/**
 * A generated job end to end: queued by the API's generated method, run by the
 * worker's generated registration, against the machine's Redis.
 */
let runtime: RuntimeHost | undefined;
let modules: RuntimeModules;

beforeAll(async () => {
  runtime = await createRuntimeHost();
  modules = await loadRuntimeModules(runtime);
});
afterAll(() => runtime?.host.remove());

function usageReport(overrides: Partial<UsageReportData> = {}): UsageReportData {
  return {
    orgId: randomUUID(),
    userId: randomUUID(),
    userEmail: 'owner@example.com',
    ...overrides,
  };
}

describe('a generated job queued through QueueService', () => {
  it('is processed by the generated registration and completes with its typed result', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('enqueue');
    const queues = new QueueHarness(prefix, teardown);
    const { USAGE_REPORT_JOB } = modules.shared;
    const events = await queues.queueEvents(USAGE_REPORT_JOB.queue);
    const pool = startHostWorkers(modules, teardown, { prefix });
    expect(pool.workers.map((worker) => worker.name)).toContain(USAGE_REPORT_JOB.queue);
    const service = createQueueService(modules, teardown, prefix);

    const data = usageReport({ rows: 42 });
    const job = await service.enqueueUsageReport(data);
    const result = await job.waitUntilFinished(events, HANG_MS);

    expect(result).toEqual({
      durationMs: expect.any(Number),
      // The development email transport names its messages dev-<uuid>.
      sendEmail: { emailId: expect.stringMatching(/^dev-[0-9a-f-]{36}$/) },
      queueNotificationEmail: { jobId: `${USAGE_REPORT_JOB.queue}-${job.id}` },
    } satisfies Record<keyof UsageReportResult, unknown>);
    expect(Number.isFinite(result.durationMs)).toBe(true);

    const stored = await queues.queue<UsageReportData>(USAGE_REPORT_JOB.queue).getJob(job.id ?? '');
    expect(stored).toBeDefined();
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.attemptsMade).toBe(1);
    expect(stored?.returnvalue).toEqual(result);
    expect(stored?.data).toEqual(data);
    // The run policy comes from the generated contract.
    expect(stored?.opts).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 100 },
      priority: 5,
    });
    expect(USAGE_REPORT_JOB.options).toEqual({
      attempts: 3,
      backoff: { type: 'exponential', delay: 100 },
      priority: 5,
    });
  });

  it('checks the data before queueing anything', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('api_check');
    const queues = new QueueHarness(prefix, teardown);
    const service = createQueueService(modules, teardown, prefix);

    await expect(service.enqueueUsageReport(usageReport({ orgId: 'org-1' }))).rejects.toThrow(
      /^orgId: expected a UUID string/,
    );
    const counts = await queues.queue(modules.shared.USAGE_REPORT_JOB.queue).getJobCounts();
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(0);
  });
});

describe('priority', () => {
  it('runs jobs queued at priorities 10, 1, 5 in the order 1, 5, 10', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('priority');
    const queues = new QueueHarness(prefix, teardown);
    const { USAGE_REPORT_JOB } = modules.shared;
    const service = createQueueService(modules, teardown, prefix);

    // No worker runs yet, so all three wait and only their priority orders them.
    for (const priority of [10, 1, 5]) {
      const job = await service.enqueueUsageReport(usageReport({ rows: priority }), { priority });
      expect(job.opts.priority).toBe(priority);
    }
    const queue = queues.queue(USAGE_REPORT_JOB.queue);
    expect(await queue.getJobCounts('prioritized')).toEqual({ prioritized: 3 });

    const pool = startHostWorkers(modules, teardown, { prefix, concurrency: 1 });
    const reportWorker = pool.workers.find((worker) => worker.name === USAGE_REPORT_JOB.queue);
    expect(reportWorker).toBeDefined();
    const started: number[] = [];
    const completed: number[] = [];
    // The pool's workers are untyped; this one runs USAGE_REPORT jobs.
    const typed = reportWorker as Worker<UsageReportData, UsageReportResult>;
    typed.on('active', (job) => started.push(job.data.rows ?? -1));
    typed.on('completed', (job) => completed.push(job.data.rows ?? -1));

    await waitFor('three completed jobs', () => completed.length === 3);
    expect(started).toEqual([1, 5, 10]);
    expect(completed).toEqual([1, 5, 10]);
  });
});

describe('follow-up jobs', () => {
  it('queues NOTIFICATION_EMAIL on the same prefix with the mapped data and a fixed job id', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('follow_up');
    const queues = new QueueHarness(prefix, teardown);
    const { USAGE_REPORT_JOB, NOTIFICATION_EMAIL_JOB } = modules.shared;
    const reportEvents = await queues.queueEvents(USAGE_REPORT_JOB.queue);
    const notificationEvents = await queues.queueEvents(NOTIFICATION_EMAIL_JOB.queue);
    startHostWorkers(modules, teardown, { prefix });
    const service = createQueueService(modules, teardown, prefix);

    const data = usageReport({ rows: 7 });
    const job = await service.enqueueUsageReport(data);
    const result = await job.waitUntilFinished(reportEvents, HANG_MS);

    const followUpId = `${USAGE_REPORT_JOB.queue}-${job.id}`;
    expect(result.queueNotificationEmail).toEqual({ jobId: followUpId });
    const followUp = await queues
      .queue<NotificationEmailData>(NOTIFICATION_EMAIL_JOB.queue)
      .getJob(followUpId);
    expect(
      followUp,
      `job ${followUpId} on ${prefix}:${NOTIFICATION_EMAIL_JOB.queue}`,
    ).toBeDefined();
    expect(followUp?.data).toEqual({ userId: data.userId, userEmail: data.userEmail });
    expect(followUp?.opts).toMatchObject(NOTIFICATION_EMAIL_JOB.options);
    // The notification worker of the same registration runs it.
    await followUp?.waitUntilFinished(notificationEvents, HANG_MS);
    expect(await followUp?.getState()).toBe('completed');
  });
});

import { randomUUID } from 'node:crypto';
import type { Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createHostPool,
  createQueueService,
  createRuntimeHost,
  loadRuntimeModules,
  startHostWorkers,
  type RuntimeHost,
  type RuntimeModules,
} from '../support/runtime-host.js';
import type {
  CrmSyncData,
  CrmSyncHandlerModule,
  OrderWebhookData,
  PartnerWebhookData,
  SlowUpstreamData,
  SlowUpstreamHandlerModule,
  CrmSyncResult,
  JobStepsModule,
  SlowUpstreamResult,
  UsageReportData,
  UsageReportHandlerModule,
  UsageReportResult,
  WorkerPool,
} from '../support/runtime-jobs.js';
import {
  captureLogger,
  deferred,
  HANG_MS,
  QueueHarness,
  type ReceivedRequest,
  startReceiver,
  uniqueName,
  useTeardown,
} from '../support/runtime-services.js';

/**
 * Retries, backoff, invalid data, timeouts and cancellation of generated jobs, on a
 * real BullMQ queue: every attempt below is a real attempt of a real worker.
 */
let runtime: RuntimeHost | undefined;
let modules: RuntimeModules;
let usageReportHandler: UsageReportHandlerModule;
let crmSyncHandler: CrmSyncHandlerModule;
let slowUpstreamHandler: SlowUpstreamHandlerModule;

beforeAll(async () => {
  runtime = await createRuntimeHost();
  modules = await loadRuntimeModules(runtime);
  [usageReportHandler, crmSyncHandler, slowUpstreamHandler] = await Promise.all([
    runtime.load<UsageReportHandlerModule>('apps/worker/src/handlers/usage-report.handler.ts', [
      'createUsageReportHandler',
    ]),
    runtime.load<CrmSyncHandlerModule>('apps/worker/src/handlers/crm-sync.handler.ts', [
      'createCrmSyncHandler',
    ]),
    runtime.load<SlowUpstreamHandlerModule>('apps/worker/src/handlers/slow-upstream.handler.ts', [
      'createSlowUpstreamHandler',
    ]),
  ]);
});
afterAll(() => runtime?.host.remove());

function jobStepsModule(): Promise<JobStepsModule> {
  if (!runtime) throw new Error('the runtime host is not ready');
  return runtime.load<JobStepsModule>('apps/worker/src/runtime/job-steps.ts', [
    'FINISHED_STEPS_KEY',
    'StepNotWrittenError',
  ]);
}

const SECRET = `runtime-${randomUUID()}`;
let savedSecret: string | undefined;
beforeEach(() => {
  savedSecret = process.env.WEBHOOK_SIGNING_SECRET;
  process.env.WEBHOOK_SIGNING_SECRET = SECRET;
});
afterEach(() => {
  if (savedSecret === undefined) delete process.env.WEBHOOK_SIGNING_SECRET;
  else process.env.WEBHOOK_SIGNING_SECRET = savedSecret;
});

/**
 * The backoff BullMQ scheduled after each failed attempt (the worker's `failed`
 * event carries it as `job.delay`), in order. Filled as attempts fail.
 */
function scheduledBackoffs(worker: Pick<Worker, 'on'>): number[] {
  const delays: number[] = [];
  worker.on('failed', (job: Job | undefined) => {
    if (job && job.attemptsMade < (job.opts.attempts ?? 1)) delays.push(job.delay);
  });
  return delays;
}

function workerFor(pool: WorkerPool, queue: string): Worker {
  const worker = pool.workers.find((each) => each.name === queue);
  if (!worker) throw new Error(`the host's worker pool has no worker for ${queue}`);
  return worker;
}

/**
 * Timers never fire early, so no gap between two attempts is shorter than the
 * backoff scheduled between them (less a few milliseconds of clock rounding). How much
 * longer a gap is depends on the machine's load, so only the lower bound is checked;
 * which backoff was scheduled is read from BullMQ itself.
 */
const EARLY_MS = 5;

function gapsBetween(times: readonly number[]): number[] {
  return times.slice(1).map((time, index) => time - (times[index] ?? time));
}

/**
 * Checks that the backoffs scheduled were `expected` and that every attempt waited
 * for its backoff; returns the gaps, rounded, for the test's annotation.
 */
function expectBackoffs(
  times: readonly number[],
  scheduled: readonly number[],
  expected: readonly number[],
): string {
  expect(scheduled, 'backoffs BullMQ scheduled').toEqual(expected);
  const gaps = gapsBetween(times);
  expect(gaps, `gaps ${gaps.map((gap) => gap.toFixed(0)).join(', ')} ms`).toHaveLength(
    expected.length,
  );
  gaps.forEach((gap, index) => {
    const want = expected[index] ?? Number.NaN;
    expect(gap, `gap ${index + 1}: ${gap.toFixed(0)} ms, backoff ${want} ms`).toBeGreaterThan(
      want - EARLY_MS,
    );
  });
  return `gaps between attempts: ${gaps.map((gap) => gap.toFixed(0)).join(', ')} ms (backoff ${expected.join(', ')} ms)`;
}

function keysOf(requests: readonly ReceivedRequest[]): unknown[] {
  return requests.map((request) => request.headers['idempotency-key']);
}

describe('retries with backoff', () => {
  it('retries a webhook answering 500, 500, 200: 3 attempts, exponential gaps d and 2d', async ({
    annotate,
  }) => {
    const teardown = useTeardown();
    const prefix = uniqueName('retry_exp');
    const queues = new QueueHarness(prefix, teardown);
    const { ORDER_WEBHOOK_JOB } = modules.shared;
    expect(ORDER_WEBHOOK_JOB.options).toMatchObject({
      attempts: 3,
      backoff: { type: 'exponential', delay: 300 },
    });
    const receiver = await startReceiver(teardown, (index) => (index < 2 ? 500 : 200));
    const events = await queues.queueEvents(ORDER_WEBHOOK_JOB.queue);
    const pool = startHostWorkers(modules, teardown, { prefix });
    const scheduled = scheduledBackoffs(workerFor(pool, ORDER_WEBHOOK_JOB.queue));
    const service = createQueueService(modules, teardown, prefix);

    const data: OrderWebhookData = { orderId: randomUUID(), endpoint: `${receiver.url}/orders` };
    const job = await service.enqueueOrderWebhook(data);
    const result = await job.waitUntilFinished(events, HANG_MS);

    expect(result.postWebhook.status).toBe(200);
    expect(receiver.requests).toHaveLength(3);
    const stored = await queues.queue(ORDER_WEBHOOK_JOB.queue).getJob(job.id ?? '');
    expect(stored?.attemptsMade).toBe(3);
    expect(await stored?.getState()).toBe('completed');
    const { delay } = ORDER_WEBHOOK_JOB.options.backoff;
    await annotate(
      expectBackoffs(
        receiver.requests.map((request) => request.at),
        scheduled,
        [delay, 2 * delay],
      ),
    );
    // Every attempt carries the same key, so the receiver can drop repeats.
    expect(new Set(keysOf(receiver.requests))).toEqual(
      new Set([`${ORDER_WEBHOOK_JOB.queue}-${job.id}`]),
    );
  });

  it('retries a webhook answering 500, 500, 200: 3 attempts, fixed gaps d and d', async ({
    annotate,
  }) => {
    const teardown = useTeardown();
    const prefix = uniqueName('retry_fixed');
    const queues = new QueueHarness(prefix, teardown);
    const { PARTNER_WEBHOOK_JOB } = modules.shared;
    expect(PARTNER_WEBHOOK_JOB.options).toMatchObject({
      attempts: 3,
      backoff: { type: 'fixed', delay: 300 },
    });
    const receiver = await startReceiver(teardown, (index) => (index < 2 ? 500 : 200));
    const events = await queues.queueEvents(PARTNER_WEBHOOK_JOB.queue);
    const pool = startHostWorkers(modules, teardown, { prefix });
    const scheduled = scheduledBackoffs(workerFor(pool, PARTNER_WEBHOOK_JOB.queue));
    const service = createQueueService(modules, teardown, prefix);

    const data: PartnerWebhookData = { eventId: randomUUID(), endpoint: `${receiver.url}/events` };
    const job = await service.enqueuePartnerWebhook(data);
    const result = await job.waitUntilFinished(events, HANG_MS);

    expect(result.postWebhook.status).toBe(200);
    expect(receiver.requests).toHaveLength(3);
    const stored = await queues.queue(PARTNER_WEBHOOK_JOB.queue).getJob(job.id ?? '');
    expect(stored?.attemptsMade).toBe(3);
    const { delay } = PARTNER_WEBHOOK_JOB.options.backoff;
    await annotate(
      expectBackoffs(
        receiver.requests.map((request) => request.at),
        scheduled,
        [delay, delay],
      ),
    );
  });

  it('fails a job whose step always throws after exactly retries + 1 attempts', async ({
    annotate,
  }) => {
    const teardown = useTeardown();
    const prefix = uniqueName('retry_out');
    const queues = new QueueHarness(prefix, teardown);
    const { CRM_SYNC_JOB } = modules.shared;
    const retries = CRM_SYNC_JOB.options.attempts - 1;
    expect(retries).toBe(3);
    expect(CRM_SYNC_JOB.options.backoff).toEqual({ type: 'fixed', delay: 100 });
    const events = await queues.queueEvents(CRM_SYNC_JOB.queue);
    const { logger, entries } = captureLogger();
    const calls: number[] = [];
    const pool = createHostPool(modules, teardown, { prefix });
    const worker = pool.createWorker<CrmSyncData, CrmSyncResult>(
      CRM_SYNC_JOB.queue,
      crmSyncHandler.createCrmSyncHandler({
        logger,
        steps: {
          pushContactToCrm: async () => {
            calls.push(performance.now());
            throw new Error('CRM answered 503');
          },
        },
      }),
    );
    const scheduled = scheduledBackoffs(worker);
    const service = createQueueService(modules, teardown, prefix);

    const job = await service.enqueueCrmSync({ contactId: randomUUID() });
    await expect(job.waitUntilFinished(events, HANG_MS)).rejects.toThrow('CRM answered 503');

    expect(calls).toHaveLength(retries + 1);
    const stored = await queues.queue(CRM_SYNC_JOB.queue).getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(retries + 1);
    expect(stored?.failedReason).toBe('CRM answered 503');
    const failures = entries.filter((entry) => entry.message === 'CrmSync failed');
    expect(failures.map((entry) => [entry.details.attempt, entry.details.willRetry])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, false],
    ]);
    const { delay } = CRM_SYNC_JOB.options.backoff;
    await annotate(expectBackoffs(calls, scheduled, [delay, delay, delay]));
  });
});

describe('invalid data', () => {
  it('fails at once without a retry and logs the field', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('invalid');
    const queues = new QueueHarness(prefix, teardown);
    const { USAGE_REPORT_JOB } = modules.shared;
    expect(USAGE_REPORT_JOB.options.attempts).toBeGreaterThan(1);
    const events = await queues.queueEvents(USAGE_REPORT_JOB.queue);
    const { logger, entries } = captureLogger();
    const pool = createHostPool(modules, teardown, { prefix });
    const worker = pool.createWorker<UsageReportData, UsageReportResult>(
      USAGE_REPORT_JOB.queue,
      usageReportHandler.createUsageReportHandler({ logger }),
    );
    const failedAttempts: Error[] = [];
    worker.on('failed', (_job, error) => failedAttempts.push(error));

    // Straight onto the queue with the job's own policy: only the worker checks it.
    const job = await queues.queue(USAGE_REPORT_JOB.queue).add(
      USAGE_REPORT_JOB.queue,
      {
        orgId: randomUUID(),
        userId: 'user-7',
        userEmail: 'owner@example.com',
      },
      USAGE_REPORT_JOB.options,
    );
    await expect(job.waitUntilFinished(events, HANG_MS)).rejects.toThrow(/userId/);
    // Finished means failed for good: a job with a retry ahead is delayed, not failed.

    const stored = await queues.queue(USAGE_REPORT_JOB.queue).getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(1);
    expect(stored?.attemptsStarted).toBe(1);
    expect(stored?.failedReason).toBe(
      'Invalid data for job usage-report: userId: expected a UUID string, received a string in another format',
    );
    expect(failedAttempts.map((error) => error.name)).toEqual(['InvalidJobDataError']);
    expect(entries.filter((entry) => entry.message === 'UsageReport started')).toHaveLength(1);
    const failures = entries.filter((entry) => entry.message === 'UsageReport failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.level).toBe('error');
    expect(failures[0]?.details).toMatchObject({ attempt: 1, willRetry: false, field: 'userId' });
  });
});

describe('timeouts and cancellation', () => {
  interface StepRun {
    attempt: number;
    sawAborted?: boolean;
    reason?: unknown;
  }

  /** A step that, on its first run only, waits until its signal aborts. */
  function waitOnSignalOnce(runs: StepRun[], started: () => void) {
    return (_data: SlowUpstreamData, signal: AbortSignal): Promise<null> => {
      const run: StepRun = { attempt: runs.length + 1 };
      runs.push(run);
      if (run.attempt > 1) return Promise.resolve(null);
      started();
      return new Promise((_resolve, reject) => {
        signal.addEventListener(
          'abort',
          () => {
            run.sawAborted = signal.aborted;
            run.reason = signal.reason;
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
          },
          { once: true },
        );
      });
    };
  }

  async function startSlowUpstream(label: string) {
    const teardown = useTeardown();
    const prefix = uniqueName(label);
    const queues = new QueueHarness(prefix, teardown);
    const { SLOW_UPSTREAM_JOB } = modules.shared;
    const events = await queues.queueEvents(SLOW_UPSTREAM_JOB.queue);
    const runs: StepRun[] = [];
    const firstStarted = deferred();
    const pool = createHostPool(modules, teardown, { prefix });
    const worker = pool.createWorker<SlowUpstreamData, SlowUpstreamResult>(
      SLOW_UPSTREAM_JOB.queue,
      slowUpstreamHandler.createSlowUpstreamHandler({
        logger: captureLogger().logger,
        steps: { waitForUpstream: waitOnSignalOnce(runs, () => firstStarted.resolve()) },
      }),
    );
    const failures: { attempt: number; error: Error }[] = [];
    worker.on('failed', (job: Job<SlowUpstreamData> | undefined, error) =>
      failures.push({ attempt: job?.attemptsMade ?? -1, error }),
    );
    const service = createQueueService(modules, teardown, prefix);
    const job = await service.enqueueSlowUpstream({ documentId: randomUUID() });
    return { queues, events, runs, firstStarted, worker, failures, job, SLOW_UPSTREAM_JOB };
  }

  it('fails an attempt that overruns timeoutSeconds with JobTimeoutError, aborts the step and retries', async () => {
    const { queues, events, runs, failures, job, SLOW_UPSTREAM_JOB } =
      await startSlowUpstream('timeout');
    expect(SLOW_UPSTREAM_JOB.timeoutMs).toBe(1000);

    await job.waitUntilFinished(events, HANG_MS);

    const timeout = new modules.jobTimeout.JobTimeoutError(SLOW_UPSTREAM_JOB.timeoutMs);
    expect(failures.map(({ error }) => [error.name, error.message])).toEqual([
      [timeout.name, timeout.message],
    ]);
    expect(failures[0]?.error).toBeInstanceOf(modules.jobTimeout.JobTimeoutError);
    const [first, second] = runs;
    expect(runs).toHaveLength(2);
    // The step saw its signal abort, with the timeout as the reason.
    expect(first?.sawAborted).toBe(true);
    expect(first?.reason).toBeInstanceOf(modules.jobTimeout.JobTimeoutError);
    expect(second?.attempt).toBe(2);
    const stored = await queues.queue(SLOW_UPSTREAM_JOB.queue).getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.attemptsMade).toBe(2);
  });

  it('stops a running job on worker.cancelJob: the step sees the abort and the attempt fails at once', async () => {
    const { queues, events, runs, firstStarted, worker, failures, job, SLOW_UPSTREAM_JOB } =
      await startSlowUpstream('cancel');
    await firstStarted.promise;

    expect(worker.cancelJob(job.id ?? '', 'operator stopped it')).toBe(true);
    await job.waitUntilFinished(events, HANG_MS);

    const [first] = runs;
    expect(first?.sawAborted).toBe(true);
    expect(first?.reason).toBe('operator stopped it');
    expect(failures.map(({ error }) => error.message)).toEqual([
      'The job was cancelled: operator stopped it',
    ]);
    // The cancellation, not the deadline, ended it: a timeout would fail the attempt
    // with JobTimeoutError and abort the step with it as the reason.
    expect(failures[0]?.error).not.toBeInstanceOf(modules.jobTimeout.JobTimeoutError);
    // A cancelled attempt is a failed attempt like any other: the job is retried.
    const stored = await queues.queue(SLOW_UPSTREAM_JOB.queue).getJob(job.id ?? '');
    expect(runs).toHaveLength(2);
    expect(stored?.attemptsMade).toBe(2);
    expect(await stored?.getState()).toBe('completed');
  });
});

describe('a step not yet written', () => {
  it('fails the job at once, without retries, naming the step and the line to write it at', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('not_written');
    const queues = new QueueHarness(prefix, teardown);
    const { CRM_SYNC_JOB } = modules.shared;
    expect(CRM_SYNC_JOB.options.attempts).toBeGreaterThan(1);
    const events = await queues.queueEvents(CRM_SYNC_JOB.queue);
    // The registration as generated: pushContactToCrm still holds its placeholder.
    startHostWorkers(modules, teardown, { prefix });
    const service = createQueueService(modules, teardown, prefix);

    const job = await service.enqueueCrmSync({ contactId: randomUUID() });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(
      /^The step pushContactToCrm is not written yet; write it at \S*crm-sync\.handler\.ts:\d+$/,
    );

    const stored = await queues.queue(CRM_SYNC_JOB.queue).getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(1);
    const line = Number(/:(\d+)$/.exec(stored?.failedReason ?? '')?.[1]);
    const handler = runtime?.host.read('apps/worker/src/handlers/crm-sync.handler.ts') ?? '';
    expect(handler.split('\n')[line - 1]).toContain("notWritten('pushContactToCrm')");
  });
});

describe('steps that resume', () => {
  it('records the steps a failed attempt finished, and the retry skips them: one email, one follow-up', async () => {
    const teardown = useTeardown();
    const prefix = uniqueName('resume');
    const queues = new QueueHarness(prefix, teardown);
    const { USAGE_REPORT_JOB } = modules.shared;
    const events = await queues.queueEvents(USAGE_REPORT_JOB.queue);
    const { logger, entries } = captureLogger();
    const composed: string[] = [];
    const sent: string[] = [];
    const queued: string[] = [];
    const pool = createHostPool(modules, teardown, { prefix });
    pool.createWorker<UsageReportData, UsageReportResult>(
      USAGE_REPORT_JOB.queue,
      usageReportHandler.createUsageReportHandler({
        logger,
        steps: {
          composeEmail: async (data) => {
            composed.push(data.userEmail);
            return { to: data.userEmail, subject: 'Usage report', text: 'Attached.' };
          },
        },
        services: {
          sendEmail: async (message) => {
            sent.push(message.to);
            return { id: `email-${sent.length}` };
          },
          // The follow-up fails on the first attempt, after the email went out.
          enqueue: async (followUp) => {
            queued.push(followUp.jobId);
            if (queued.length === 1) throw new Error('Redis refused the follow-up');
            return followUp.jobId;
          },
        },
      }),
    );
    const service = createQueueService(modules, teardown, prefix);

    const data = { orgId: randomUUID(), userId: randomUUID(), userEmail: 'owner@example.com' };
    const job = await service.enqueueUsageReport(data);
    const result = await job.waitUntilFinished(events, 10_000);

    expect(composed).toEqual(['owner@example.com']);
    expect(sent).toEqual(['owner@example.com']);
    const key = `${USAGE_REPORT_JOB.queue}-${job.id}`;
    expect(queued).toEqual([key, key]);
    expect(result).toEqual({
      durationMs: expect.any(Number),
      sendEmail: { emailId: 'email-1' },
      queueNotificationEmail: { jobId: key },
    });
    const stored = await queues.queue(USAGE_REPORT_JOB.queue).getJob(job.id ?? '');
    expect(stored?.attemptsMade).toBe(2);
    const { FINISHED_STEPS_KEY } = await jobStepsModule();
    expect(stored?.data).toEqual({
      ...data,
      [FINISHED_STEPS_KEY]: { sendEmail: { emailId: 'email-1' } },
    });
    expect(
      entries
        .filter((entry) => entry.message.startsWith('step skipped'))
        .map((entry) => entry.details),
    ).toEqual([{ jobId: job.id, step: 'sendEmail' }]);
  });
});

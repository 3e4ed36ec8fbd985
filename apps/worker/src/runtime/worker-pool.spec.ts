import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, type Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { QUEUE_NAMES } from '@forgestack/shared';
import { redisSettingsFromEnv } from './redis';
import { createWorkerPool, type WorkerPool } from './worker-pool';

// The pool logs worker errors through the worker's logger, which reads LOG_LEVEL
// when its module loads; vi.hoisted runs this before the imports.
const previousLogLevel = vi.hoisted(() => {
  const previous = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL ??= 'silent';
  return previous;
});

const { connection } = redisSettingsFromEnv();
const prefix = `spec-worker-pool-${randomUUID()}`;
// Every queue a worker may touch, so afterAll can remove all of their keys.
const queues = Object.values(QUEUE_NAMES).map((name) => new Queue(name, { connection, prefix }));
const queue = new Queue(QUEUE_NAMES.NOTIFICATION_EMAIL, { connection, prefix });
const pools: WorkerPool[] = [];

function pool(...args: Parameters<typeof createWorkerPool>): WorkerPool {
  const created = createWorkerPool(...args);
  pools.push(created);
  return created;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await Promise.all(pools.map((each) => each.close()));
  await queue.close();
  for (const each of queues) {
    await each.obliterate({ force: true });
    await each.close();
  }
  if (previousLogLevel === undefined) delete process.env.LOG_LEVEL;
});

async function finished(jobId: string): Promise<Job> {
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') {
      const job = await queue.getJob(jobId);
      if (!job) throw new Error(`Job ${jobId} disappeared`);
      return job;
    }
    await sleep(20);
  }
}

describe('createWorkerPool', () => {
  it('starts workers on the given prefix that run their processor', async () => {
    const workers = pool({ prefix, connection });
    const worker = workers.createWorker<{ n: number }, { doubled: number }>(
      QUEUE_NAMES.NOTIFICATION_EMAIL,
      async (job) => ({ doubled: job.data.n * 2 }),
    );
    await worker.waitUntilReady();

    const added = await queue.add(QUEUE_NAMES.NOTIFICATION_EMAIL, { n: 21 });
    const job = await finished(added.id ?? '');
    await workers.close();

    expect(workers.workers).toEqual([worker]);
    expect(worker.name).toBe(QUEUE_NAMES.NOTIFICATION_EMAIL);
    expect(worker.opts.prefix).toBe(prefix);
    expect(job.returnvalue).toEqual({ doubled: 42 });
  });

  it('applies concurrency and any other worker option', () => {
    const workers = pool({
      prefix,
      connection,
      concurrency: 3,
      workerOptions: { autorun: false, lockDuration: 12_345 },
    });

    const worker = workers.createWorker(QUEUE_NAMES.WELCOME_EMAIL, async () => undefined);

    expect(worker.opts).toMatchObject({ concurrency: 3, lockDuration: 12_345, prefix });
    expect(worker.isRunning()).toBe(false);
  });

  it('takes concurrency from WORKER_CONCURRENCY, else 5', () => {
    vi.stubEnv('WORKER_CONCURRENCY', '7');
    const fromEnv = pool({ prefix, connection, workerOptions: { autorun: false } });
    vi.stubEnv('WORKER_CONCURRENCY', undefined);
    const byDefault = pool({ prefix, connection, workerOptions: { autorun: false } });

    const noop = async (): Promise<undefined> => undefined;
    expect(fromEnv.createWorker(QUEUE_NAMES.WELCOME_EMAIL, noop).opts.concurrency).toBe(7);
    expect(byDefault.createWorker(QUEUE_NAMES.WELCOME_EMAIL, noop).opts.concurrency).toBe(5);
  });

  it('takes the prefix from BULLMQ_PREFIX when none is given', () => {
    vi.stubEnv('BULLMQ_PREFIX', `${prefix}-env`);
    const workers = pool({ connection, workerOptions: { autorun: false } });

    const worker = workers.createWorker(QUEUE_NAMES.WELCOME_EMAIL, async () => undefined);

    expect(worker.opts.prefix).toBe(`${prefix}-env`);
  });

  it('never lets a Redis command give up, whatever connection options it gets', () => {
    const workers = pool({
      prefix,
      connection: { ...connection, maxRetriesPerRequest: 3 },
      workerOptions: { autorun: false },
    });

    const worker = workers.createWorker(QUEUE_NAMES.WELCOME_EMAIL, async () => undefined);

    expect(worker.opts.connection).toMatchObject({ maxRetriesPerRequest: null });
  });

  it("listens to each worker's errors, so a lost connection does not crash the process", () => {
    const workers = pool({ prefix, connection, workerOptions: { autorun: false } });
    const worker = workers.createWorker(QUEUE_NAMES.WELCOME_EMAIL, async () => undefined);

    expect(worker.listenerCount('error')).toBe(1);
    // An EventEmitter throws an 'error' event that nobody listens to.
    expect(() => worker.emit('error', new Error('connection lost'))).not.toThrow();
  });

  it('close stops every worker, so later jobs wait', async () => {
    const workers = pool({ prefix, connection });
    const processed: string[] = [];
    for (const name of [QUEUE_NAMES.NOTIFICATION_EMAIL, QUEUE_NAMES.WEBHOOK_DELIVERY]) {
      workers.createWorker(name, async (job) => {
        processed.push(job.id ?? '');
      });
    }
    await Promise.all(workers.workers.map((worker) => worker.waitUntilReady()));
    expect(workers.workers.every((worker) => worker.isRunning())).toBe(true);
    expect(await queue.getWorkersCount()).toBe(1);

    await workers.close();

    expect(workers.workers.map((worker) => worker.isRunning())).toEqual([false, false]);
    // No worker is connected to the queue any more, so nothing can take a new job:
    // checked in Redis rather than by waiting a while for a job that must not run.
    expect(await queue.getWorkersCount()).toBe(0);
    const added = await queue.add(QUEUE_NAMES.NOTIFICATION_EMAIL, { after: 'close' });
    expect(await queue.getJobState(added.id ?? '')).toBe('waiting');
    expect(processed).not.toContain(added.id);
  });
});

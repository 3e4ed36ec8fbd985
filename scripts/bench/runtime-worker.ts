// One throughput sample, in a process of its own: under a fresh key prefix, run
// `--warmup` jobs untimed, then queue N jobs and time how long the BullMQ worker
// takes to process them, print the figures as JSON, obliterate the queue.
// `--processor bare` runs a processor that does nothing; `bare-signal` one that does
// nothing but declares BullMQ's third argument, so BullMQ makes it a cancellation
// signal per job as it does for the generated handler; `bare-signal-result` that, and
// it returns `--result` (what the generated handler returned), so BullMQ stores the
// same return value; `generated` runs a handler the kit generated (`--handler`,
// `--factory`), its side effects replaced by no-ops, and so are the steps still
// holding their placeholder; `handwritten` runs the same job written by hand in
// ForgeStack's own pattern (pino logs at start and end, try/catch and rethrow, the
// same no-op side effects). The output gives the value the last job returned.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** The parts of BullMQ this sample uses; BullMQ is a dependency of the host, not of the kit. */
interface BullJob {
  id?: string;
  data: unknown;
}
type Processor = (job: BullJob, token?: string, signal?: AbortSignal) => Promise<unknown>;
/** An ioredis client; BullMQ as an ES module needs clients, not connection options. */
interface Connection {
  quit(): Promise<unknown>;
}
type RedisClass = new (options: {
  host: string;
  port: number;
  maxRetriesPerRequest: null;
}) => Connection;
interface BullQueue {
  addBulk(jobs: { name: string; data: unknown }[]): Promise<unknown>;
  obliterate(options: { force: boolean }): Promise<void>;
  close(): Promise<void>;
}
interface BullWorker {
  on(event: 'completed', listener: (job: BullJob, result: unknown) => void): void;
  on(event: 'failed', listener: (job: BullJob | undefined, error: Error) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  waitUntilReady(): Promise<unknown>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}
/** The host's worker pool (apps/worker/src/runtime/worker-pool.ts), as this sample uses it. */
interface WorkerPoolModule {
  createWorkerPool(options: {
    connection: { host: string; port: number };
    prefix: string;
    concurrency: number;
  }): {
    createWorker(queueName: string, processor: Processor): BullWorker;
    close(): Promise<void>;
  };
}
interface BullMq {
  Queue: new (name: string, options: { connection: Connection; prefix: string }) => BullQueue;
  Worker: new (
    name: string,
    processor: Processor,
    options: { connection: Connection; prefix: string; concurrency: number },
  ) => BullWorker;
}
type HandlerFactory = (overrides: Record<string, unknown>) => Processor;
type Step = (...args: unknown[]) => Promise<unknown>;
/** The host's logger module (apps/worker/src/telemetry/logger.ts). */
interface LoggerModule {
  createLogger(component: string): {
    info(details: object, message: string): void;
    error(details: object, message: string): void;
  };
}

const { values } = parseArgs({
  options: {
    processor: { type: 'string' },
    host: { type: 'string' },
    handler: { type: 'string' },
    factory: { type: 'string' },
    data: { type: 'string' },
    jobs: { type: 'string', default: '10000' },
    warmup: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '10' },
    prefix: { type: 'string' },
    result: { type: 'string' },
  },
});
const { processor: kind, host, handler, factory, data, prefix, result } = values;
const KINDS = ['bare', 'bare-signal', 'bare-signal-result', 'generated', 'handwritten'];
if (
  !host ||
  !handler ||
  !factory ||
  !data ||
  !prefix ||
  !kind ||
  !KINDS.includes(kind) ||
  (kind === 'bare-signal-result' && result === undefined)
) {
  throw new Error(
    'usage: runtime-worker --processor bare|bare-signal|bare-signal-result|generated|handwritten --host DIR --handler FILE --factory NAME --data JSON --prefix P [--result JSON] [--jobs N] [--warmup N] [--concurrency N]',
  );
}
// Narrowed by the check above, for use in functions below.
const hostDir: string = host;
const keyPrefix: string = prefix;
const total = Number(values.jobs);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);

// The worker's own BullMQ, resolved as the host's code resolves it: the package has
// no "exports", so an import of 'bullmq' from apps/worker loads its "main" build
// (CommonJS). The queue, the bare processors' workers and the generated handler's
// pool then share one BullMQ instance; its "module" build would be a second copy,
// and the bare processors would run on other code than the handler.
const workerRequire = createRequire(join(host, 'apps/worker/package.json'));
const { Queue, Worker } = (await import(
  pathToFileURL(workerRequire.resolve('bullmq')).href
)) as BullMq;

// One transaction object for every job, so the no-op allocates nothing per call.
const transaction = { query: async () => ({ rows: [] }) };
const withServiceContext = async (_reason: string, work: (tx: object) => Promise<unknown>) =>
  work(transaction);
const sendEmail = async () => ({ id: 'email-1' });
const enqueue = async () => 'follow-up-1';

/**
 * The generated handler with every side effect a no-op; the generated code around
 * them (validation, timeout, logging, steps handing results on, follow-up data) runs
 * as in production. The team's steps still hold their placeholder, which fails the
 * job: each such step becomes a no-op.
 */
async function generatedProcessor(): Promise<Processor> {
  const module = (await import(pathToFileURL(handler ?? '').href)) as Record<string, unknown>;
  const create = module[factory ?? ''];
  if (typeof create !== 'function') throw new Error(`${handler} has no ${factory}`);
  const job = /^create(\w+)Handler$/.exec(factory ?? '')?.[1] ?? '';
  const defaults = module[`${job.charAt(0).toLowerCase()}${job.slice(1)}Steps`] as
    Record<string, Step> | undefined;
  const steps: Record<string, Step> = {};
  for (const [name, step] of Object.entries(defaults ?? {})) {
    const placeholder = await step(JSON.parse(data ?? 'null'), {}).then(
      () => false,
      (error: unknown) => error instanceof Error && error.name === 'StepNotWrittenError',
    );
    if (placeholder) steps[name] = async () => null;
  }
  return (create as HandlerFactory)({
    steps,
    services: { withServiceContext, sendEmail, enqueue },
  });
}

/**
 * The measured job (AUDIT_LOG_EXPORT) as a ForgeStack handler is written by hand:
 * pino logs at start and end, try/catch, rethrow; the same no-op side effects.
 */
async function handwrittenProcessor(): Promise<Processor> {
  const { createLogger } = (await import(
    pathToFileURL(join(hostDir, 'apps/worker/src/telemetry/logger.ts')).href
  )) as LoggerModule;
  const logger = createLogger('AuditLogExport');
  interface AuditLogExportJobData {
    orgId: string;
    userEmail: string;
  }
  const generateCsv = async (_rows: unknown) => null;
  const upload = async (_csv: unknown) => null;
  return async (job: BullJob) => {
    const data = job.data as AuditLogExportJobData;
    logger.info({ jobId: job.id, orgId: data.orgId }, 'Processing audit log export');
    try {
      const rows = await withServiceContext('jobs:audit-log-export', async (tx) => tx);
      const csv = await generateCsv(rows);
      const url = await upload(csv);
      const email = await sendEmail();
      const followUpJobId = await enqueue();
      logger.info({ jobId: job.id, emailId: email.id, url }, 'Audit log export completed');
      return { emailId: email.id, followUpJobId };
    } catch (error) {
      logger.error({ jobId: job.id, error }, 'Audit log export failed');
      throw error;
    }
  };
}

let processor: Processor;
if (kind === 'bare') {
  processor = async () => undefined;
} else if (kind === 'bare-signal') {
  // BullMQ creates the per-job AbortController only for processors of arity 3.
  processor = async (_job: BullJob, _token?: string, _signal?: AbortSignal) => undefined;
} else if (kind === 'bare-signal-result') {
  const returned: unknown = JSON.parse(result ?? 'null');
  processor = async (_job: BullJob, _token?: string, _signal?: AbortSignal) => returned;
} else if (kind === 'handwritten') {
  processor = await handwrittenProcessor();
} else {
  processor = await generatedProcessor();
}

const ioredis = (await import(pathToFileURL(workerRequire.resolve('ioredis')).href)) as {
  default: RedisClass;
};
const redis = (): Connection =>
  new ioredis.default({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const queueConnection = redis();
const workerConnection = redis();
const name = `bench-${kind}`;
const queue = new Queue(name, { connection: queueConnection, prefix });
const jobData: unknown = JSON.parse(data);
/** Queues `count` jobs, a thousand at a time. */
async function addJobs(count: number): Promise<void> {
  for (let added = 0; added < count; added += 1000) {
    const size = Math.min(1000, count - added);
    await queue.addBulk(Array.from({ length: size }, () => ({ name, data: jobData })));
  }
}

/**
 * The bare processors run on a plain BullMQ Worker; the generated handler on one
 * from the host's worker pool, as the generated registration runs it (the pool also
 * sets up what the handler relies on, such as ending overrunning jobs through
 * BullMQ's own signal). Either starts fetching jobs at once.
 */
async function startWorker(): Promise<{ worker: BullWorker; close: () => Promise<void> }> {
  if (kind !== 'generated') {
    const worker = new Worker(name, processor, {
      connection: workerConnection,
      prefix: keyPrefix,
      concurrency,
    });
    return { worker, close: () => worker.close() };
  }
  const pools = (await import(
    pathToFileURL(join(hostDir, 'apps/worker/src/runtime/worker-pool.ts')).href
  )) as WorkerPoolModule;
  const pool = pools.createWorkerPool({
    connection: { host: '127.0.0.1', port: 6379 },
    prefix: keyPrefix,
    concurrency,
  });
  const worker = pool.createWorker(name, processor);
  if (!(worker instanceof Worker)) {
    throw new Error('the worker pool runs another BullMQ instance than the bare processors');
  }
  return { worker, close: () => pool.close() };
}

try {
  // Queued before the worker starts, so it finds them waiting.
  await addJobs(warmup);
  const { worker, close } = await startWorker();
  let completed = 0;
  let failure: Error | undefined;
  let target = warmup;
  let reached: () => void = () => undefined;
  const completedCount = (count: number): Promise<void> => {
    target = count;
    return new Promise<void>((resolve) => {
      reached = resolve;
      if (completed >= target || failure) resolve();
    });
  };
  let lastResult: unknown;
  worker.on('completed', (_job, returned) => {
    lastResult = returned;
    completed += 1;
    if (completed === target) reached();
  });
  worker.on('failed', (_job, error) => {
    failure ??= error;
    reached();
  });
  worker.on('error', (error) => {
    failure ??= error;
    reached();
  });
  // Untimed first: the processor's code is then compiled and optimised, as it is in
  // a worker that has been running for a while. Every processor gets the same.
  await completedCount(warmup);
  await worker.pause();
  await addJobs(total);
  const done = completedCount(warmup + total);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  await worker.resume();
  await done;
  const seconds = (performance.now() - started) / 1000;
  // CPU time of this process while processing: steadier than wall time on a busy
  // machine, and it shows what each job costs the worker itself.
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuMicrosPerJob = (cpu.user + cpu.system) / total;
  await close();
  if (failure) throw failure;
  process.stdout.write(
    `${JSON.stringify({ jobs: completed - warmup, seconds, cpuMicrosPerJob, result: lastResult ?? null })}\n`,
  );
} finally {
  await queue.obliterate({ force: true });
  await queue.close();
  await Promise.all([queueConnection.quit(), workerConnection.quit()]);
}

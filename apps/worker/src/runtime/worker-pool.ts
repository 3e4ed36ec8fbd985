import { Worker, type Processor, type WorkerOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { QueueName } from '@forgestack/shared';
import { createLogger } from '../telemetry/logger';
import { cancelOverrunsOf } from './job-timeout';
import { configureProducer } from './producer';
import { redisSettingsFromEnv } from './redis';

export interface WorkerPoolOptions {
  /** Redis connection options; defaults come from `REDIS_URL`. */
  connection?: RedisOptions;
  /** Key prefix of every queue; defaults to `BULLMQ_PREFIX` or BullMQ's `bull`. */
  prefix?: string;
  /** Jobs each worker runs at once; defaults to `WORKER_CONCURRENCY` or 5. */
  concurrency?: number;
  /** Any other BullMQ worker setting, such as `lockDuration` or `stalledInterval`. */
  workerOptions?: Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency'>;
}

export interface WorkerPool {
  readonly workers: readonly Worker[];
  /** Starts a worker that runs `processor` for every job of `queueName`. */
  createWorker<T, R = unknown>(queueName: QueueName, processor: Processor<T, R>): Worker<T, R>;
  /** Stops fetching jobs and waits for the active ones to finish. */
  close(): Promise<void>;
}

const logger = createLogger('WorkerPool');

export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const settings = redisSettingsFromEnv();
  const connection = { ...settings.connection, ...options.connection, maxRetriesPerRequest: null };
  const prefix = options.prefix ?? settings.prefix;
  const concurrency = options.concurrency ?? Number(process.env.WORKER_CONCURRENCY ?? 5);
  const workers: Worker[] = [];
  const undoCancelling: (() => void)[] = [];
  // Handlers queue follow-up jobs through the process's producer: on this pool's
  // Redis and prefix, or a worker started with a prefix would queue them elsewhere.
  configureProducer({ connection, prefix });

  return {
    workers,
    createWorker<T, R = unknown>(queueName: QueueName, processor: Processor<T, R>): Worker<T, R> {
      const worker = new Worker<T, R>(queueName, processor, {
        ...options.workerOptions,
        connection,
        prefix,
        concurrency,
      });
      // Without a listener an 'error' event (a lost Redis connection) crashes the process.
      worker.on('error', (error) => logger.error({ queue: queueName, err: error }, 'Worker error'));
      // Job timeouts then abort BullMQ's own signal of the job (see runWithTimeout).
      undoCancelling.push(cancelOverrunsOf(worker));
      workers.push(worker as unknown as Worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.close()));
      for (const undo of undoCancelling.splice(0)) undo();
    },
  };
}

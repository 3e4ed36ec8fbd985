import { Queue, type JobsOptions } from "bullmq";
import type { RedisOptions } from "ioredis";
import type { QueueName } from "@acme/shared";
import { redisSettingsFromEnv } from "./redis";

/** A job that one job enqueues on another queue once its own work is done. */
export interface FollowUpJob<T> {
  queue: QueueName;
  data: T;
  options: JobsOptions;
  /**
   * Fixed per source job, so a retried or redelivered source job cannot enqueue the
   * same follow-up twice: BullMQ ignores an `add` whose job id already exists.
   */
  jobId: string;
}

export interface Producer {
  /** Adds the job and returns its id. Rejects at once if `signal` has aborted. */
  enqueue<T>(followUp: FollowUpJob<T>, signal?: AbortSignal): Promise<string>;
  close(): Promise<void>;
}

export interface ProducerOptions {
  connection?: RedisOptions;
  prefix?: string;
}

/** A producer keeping one BullMQ queue per name; each queue owns its connection. */
export function createProducer(options: ProducerOptions = {}): Producer {
  const settings = redisSettingsFromEnv();
  const connection = { ...settings.connection, ...options.connection };
  const prefix = options.prefix ?? settings.prefix;
  const queues = new Map<QueueName, Queue>();

  const queueFor = (name: QueueName): Queue => {
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection, prefix });
      queues.set(name, queue);
    }
    return queue;
  };

  return {
    async enqueue<T>(
      followUp: FollowUpJob<T>,
      signal?: AbortSignal
    ): Promise<string> {
      signal?.throwIfAborted();
      const job = await queueFor(followUp.queue).add(
        followUp.queue,
        followUp.data,
        {
          ...followUp.options,
          jobId: followUp.jobId
        }
      );
      return job.id ?? followUp.jobId;
    },
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      queues.clear();
    }
  };
}

let sharedProducer: Producer | undefined;
let sharedOptions: ProducerOptions = {};

function sameOptions(a: ProducerOptions, b: ProducerOptions): boolean {
  return (
    JSON.stringify([a.prefix, a.connection]) ===
    JSON.stringify([b.prefix, b.connection])
  );
}

/**
 * Sets the Redis connection and prefix of the worker process's producer. The worker
 * pool calls it with its own, so follow-up jobs land next to the jobs that queue
 * them even when the pool was not configured from the environment.
 */
export function configureProducer(options: ProducerOptions): void {
  // Jobs already queued follow-ups through the current producer: switching it
  // silently would split them across two places.
  if (sharedProducer && !sameOptions(options, sharedOptions)) {
    throw new Error(
      "The producer is in use with other settings; call closeProducer() first"
    );
  }
  sharedOptions = options;
}

/** The worker process's producer, created on first use (see `configureProducer`). */
export function getProducer(): Producer {
  sharedProducer ??= createProducer(sharedOptions);
  return sharedProducer;
}

export async function closeProducer(): Promise<void> {
  const producer = sharedProducer;
  sharedProducer = undefined;
  await producer?.close();
}

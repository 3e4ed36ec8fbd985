import type { JobDataSpec } from "./job-data";
import type { QueueName } from "./queues";

/**
 * How BullMQ runs a job: `attempts` counts every try, the first included, so a job
 * with 3 retries has 4 attempts. Structurally a subset of BullMQ's `JobsOptions`.
 */
export interface JobRunPolicy {
  readonly attempts: number;
  readonly backoff: {
    readonly type: "exponential" | "fixed";
    readonly delay: number;
  };
  /** 1 (runs first) to 10; BullMQ runs lower numbers first. */
  readonly priority: number;
}

/** Everything the API and the worker must agree on for one job. */
export interface JobDefinition<S extends JobDataSpec = JobDataSpec> {
  readonly queue: QueueName;
  readonly options: JobRunPolicy;
  /** The worker fails an attempt that runs longer than this, and BullMQ retries it. */
  readonly timeoutMs: number;
  readonly data: S;
}

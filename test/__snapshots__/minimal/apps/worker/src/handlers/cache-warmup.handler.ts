import type { Job } from 'bullmq';
import {
  CACHE_WARMUP_JOB,
  parseCacheWarmupJobData,
  type CacheWarmupJobData,
} from '@forgestack/shared';
import { describeFailure, validateJobData } from '../runtime/job-outcome';
import { runWithTimeout } from '../runtime/job-timeout';
import { createLogger } from '../telemetry/logger';

/** What a completed Cache warmup job returns; BullMQ keeps it as the job's return value. */
export interface CacheWarmupJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createCacheWarmupHandler`.
 */
export interface CacheWarmupDependencies {
  logger: Pick<ReturnType<typeof createLogger>, 'info' | 'error'>;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Warms the pricing cache after a deploy */
  perform: (data: CacheWarmupJobData, signal: AbortSignal) => Promise<void>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultCacheWarmupDependencies: CacheWarmupDependencies = {
  logger: createLogger('CacheWarmup'),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
};

/**
 * Builds the Cache warmup processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createCacheWarmupHandler(overrides: Partial<CacheWarmupDependencies> = {}) {
  const deps: CacheWarmupDependencies = { ...defaultCacheWarmupDependencies, ...overrides };

  return async function handleCacheWarmup(
    job: Job<CacheWarmupJobData>,
    _token?: string,
    signal?: AbortSignal,
  ): Promise<CacheWarmupJobResult> {
    const startedAt = deps.now();
    deps.logger.info({ jobId: job.id, attempt: job.attemptsMade + 1 }, 'CacheWarmup started');
    try {
      const data = validateJobData(job, parseCacheWarmupJobData);
      const result = await runWithTimeout(
        CACHE_WARMUP_JOB.timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          await deps.perform(data, stepSignal);
          return {};
        },
      );
      const durationMs = Math.round(deps.now() - startedAt);
      deps.logger.info({ jobId: job.id, durationMs }, 'CacheWarmup completed');
      return { durationMs, ...result };
    } catch (error) {
      deps.logger.error(describeFailure(job, error), 'CacheWarmup failed');
      throw error;
    }
  };
}

/** The processor the worker registers for QUEUE_NAMES.CACHE_WARMUP. */
export const handleCacheWarmup = createCacheWarmupHandler();

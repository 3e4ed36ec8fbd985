import { parseJobData } from '../job-data';
import type { JobDefinition } from '../job-definition';
import { QUEUE_NAMES } from '../queues';

/**
 * Cache warmup: the contract between the API, which queues the job, and the worker,
 * which runs it.
 *
 * Purpose: Warms the pricing cache after a deploy
 *
 * Trigger: Once, from the deploy pipeline's post-deploy step
 */
export type CacheWarmupJobData = Record<string, never>;

export const CACHE_WARMUP_JOB = {
  queue: QUEUE_NAMES.CACHE_WARMUP,
  // 4 attempts: 3 retries after the first try, waiting 1s, 2s, 4s (exponential backoff).
  options: { attempts: 4, backoff: { type: 'exponential', delay: 1000 }, priority: 5 },
  timeoutMs: 60_000,
  data: {},
} as const satisfies JobDefinition;

/** Checks data from outside (a caller, Redis) against the contract; throws `JobDataError`. */
export function parseCacheWarmupJobData(input: unknown): CacheWarmupJobData {
  return parseJobData(input, CACHE_WARMUP_JOB.data);
}

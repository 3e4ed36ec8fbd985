import {
  CACHE_WARMUP_JOB,
  parseCacheWarmupJobData,
  type CacheWarmupJobData,
} from '@forgestack/shared';
import { defineJob, notWritten, type JobLog, type JobRun, type Json } from '../runtime/job-steps';
import { createLogger } from '../telemetry/logger';

/**
 * What each step hands on to the steps after it, by step name. A finished step's
 * result is kept on the job, so a retry skips the step: keep each one JSON. Give
 * each `Json` the shape its step returns, e.g. `{ url: string }`.
 */
export type CacheWarmupResults = {
  warmPricingCacheAfterDeploy: Json;
};

/**
 * The job's own code, one function per step. Each gets the validated data, what the
 * steps before it returned, and a signal that aborts when the attempt times out or
 * the job is cancelled.
 */
export interface CacheWarmupSteps {
  /** Warms the pricing cache after a deploy */
  warmPricingCacheAfterDeploy(
    data: CacheWarmupJobData,
    signal: AbortSignal,
  ): Promise<CacheWarmupResults['warmPricingCacheAfterDeploy']>;
}

/**
 * Write the job here. A step still holding `notWritten` fails the job at once,
 * without retries, naming itself and this file's line.
 */
export const cacheWarmupSteps: CacheWarmupSteps = {
  warmPricingCacheAfterDeploy: notWritten('warmPricingCacheAfterDeploy'),
};

/** Cache warmup, step by step: Warms the pricing cache after a deploy */
export async function runCacheWarmup(
  run: JobRun<CacheWarmupJobData, CacheWarmupResults>,
  steps: CacheWarmupSteps,
): Promise<void> {
  await run.step('warmPricingCacheAfterDeploy', () =>
    steps.warmPricingCacheAfterDeploy(run.data, run.signal),
  );
}

export interface CacheWarmupOverrides {
  steps?: Partial<CacheWarmupSteps>;
  logger?: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now?: () => number;
}

/**
 * Builds the Cache warmup processor for BullMQ: the steps above, with the data
 * checked against the contract first, within the job's timeout, logged, and
 * rethrowing errors so BullMQ retries (see ../runtime/job-steps).
 */
export function createCacheWarmupHandler(overrides: CacheWarmupOverrides = {}) {
  const steps = { ...cacheWarmupSteps, ...overrides.steps };
  return defineJob<CacheWarmupJobData, CacheWarmupResults>({
    name: 'CacheWarmup',
    timeoutMs: CACHE_WARMUP_JOB.timeoutMs,
    parse: parseCacheWarmupJobData,
    logger: overrides.logger ?? createLogger('CacheWarmup'),
    now: overrides.now ?? (() => performance.now()),
    steps: (run) => runCacheWarmup(run, steps),
  });
}

/** The processor the worker registers for QUEUE_NAMES.CACHE_WARMUP. */
export const handleCacheWarmup = createCacheWarmupHandler();

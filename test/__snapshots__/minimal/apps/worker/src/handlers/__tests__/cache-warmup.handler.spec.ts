import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { CACHE_WARMUP_JOB, type CacheWarmupJobData } from '@forgestack/shared';
import { createCacheWarmupHandler, type CacheWarmupDependencies } from '../cache-warmup.handler';

const validData: CacheWarmupJobData = {};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<CacheWarmupJobData> {
  return {
    id: 'job-1',
    name: 'cache-warmup',
    queueName: 'cache-warmup',
    data,
    attemptsMade: 0,
    opts: { ...CACHE_WARMUP_JOB.options },
  } as unknown as Job<CacheWarmupJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<CacheWarmupDependencies> = {}) {
  const deps = {
    logger: { info: vi.fn(), error: vi.fn() },
    now: vi
      .fn((): number => 0)
      .mockReturnValueOnce(1_000)
      .mockReturnValueOnce(1_250),
    perform: vi.fn(async () => undefined),
    ...overrides,
  } satisfies CacheWarmupDependencies;
  return { deps, handler: createCacheWarmupHandler(deps) };
}

describe('handleCacheWarmup', () => {
  it('runs the job and returns its result', async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
    });
    expect(deps.perform).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'CacheWarmup started',
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'CacheWarmup completed',
    );
  });

  it('rethrows when perform fails, so BullMQ retries the job', async () => {
    const failure = new Error('perform failed');
    const { deps, handler } = setup({
      perform: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'CacheWarmup failed',
    );
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { deps, handler } = setup();

    const invalid = null;
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'data', willRetry: false }),
      'CacheWarmup failed',
    );
  });
});

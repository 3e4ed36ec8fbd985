import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError } from 'bullmq';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cancelOverrunsOf,
  JobTimeoutError,
  runWithTimeout,
  type CancellingWorker,
} from './job-timeout';

/**
 * Waits until abandoned work has failed (`failed` turns true), then for one more turn
 * of the event loop: Node has by then reported the failure, were it unhandled.
 */
async function afterLateFailure(failed: () => boolean): Promise<void> {
  while (!failed()) await sleep(5);
  await new Promise((resolve) => setImmediate(resolve));
}

/** A job of a queue no worker registered with cancelOverrunsOf: the own-signal path. */
const job = { id: '1', queueQualifiedName: 'bull:unregistered' };

/** Work that never settles and never looks at its signal. */
const ignoresSignal = (): Promise<never> => new Promise<never>(() => undefined);

/** Tracks whether a promise has settled, without ever leaving it unhandled. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  const done = promise.then(
    (value) => {
      Object.assign(state, { settled: true, value });
    },
    (error: unknown) => {
      Object.assign(state, { settled: true, error });
    },
  );
  return { state, done };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('JobTimeoutError', () => {
  it('is a plain, retryable error naming the timeout', () => {
    const error = new JobTimeoutError(1500);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(error.name).toBe('JobTimeoutError');
    expect(error.timeoutMs).toBe(1500);
    expect(error.message).toBe('The job did not finish within 1500 ms');
  });
});

describe('runWithTimeout, for a job of any worker', () => {
  it('resolves with the value of work that finishes in time, and clears its timer', async () => {
    vi.useFakeTimers();
    let received: AbortSignal | undefined;

    const result = await runWithTimeout(1_000, job, undefined, async (signal) => {
      received = signal;
      return { sent: 3 };
    });

    expect(result).toEqual({ sent: 3 });
    expect(received?.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with the error of work that fails in time, and clears its timer', async () => {
    vi.useFakeTimers();
    const failure = new Error('provider down');

    await expect(
      runWithTimeout(1_000, job, undefined, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('fails with JobTimeoutError when the time is up, even if work ignores its signal', async () => {
    vi.useFakeTimers();
    const run = track(runWithTimeout(5_000, job, undefined, ignoresSignal));

    await vi.advanceTimersByTimeAsync(4_999);
    expect(run.state.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await run.done;

    expect(run.state.error).toBeInstanceOf(JobTimeoutError);
    expect(run.state.error).toMatchObject({ timeoutMs: 5_000 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('aborts the signal it gives work when the time is up, with the timeout as reason', async () => {
    vi.useFakeTimers();
    let received: AbortSignal | undefined;
    const run = track(
      runWithTimeout(100, job, undefined, (signal) => {
        received = signal;
        return ignoresSignal();
      }),
    );

    expect(received?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    await run.done;

    expect(received?.aborted).toBe(true);
    expect(received?.reason).toBeInstanceOf(JobTimeoutError);
    expect(run.state.error).toBe(received?.reason);
  });

  it('lets the worker cancel the job first, rejecting with its reason', async () => {
    vi.useFakeTimers();
    const worker = new AbortController();
    const cancelled = new Error('job cancelled by the worker');
    let received: AbortSignal | undefined;
    const run = track(
      runWithTimeout(10_000, job, worker.signal, (signal) => {
        received = signal;
        return ignoresSignal();
      }),
    );

    await vi.advanceTimersByTimeAsync(50);
    worker.abort(cancelled);
    await run.done;

    expect(run.state.error).toBe(cancelled);
    expect(received?.reason).toBe(cancelled);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('wraps a cancellation reason that is not an Error', async () => {
    const worker = new AbortController();
    const run = runWithTimeout(10_000, job, worker.signal, ignoresSignal);

    worker.abort('shutdown');

    await expect(run).rejects.toThrow(new Error('The job was cancelled: shutdown'));
  });

  it('rejects at once, without starting the work, when the worker signal has already aborted', async () => {
    vi.useFakeTimers();
    const reason = new Error('cancelled before start');
    const work = vi.fn(ignoresSignal);

    await expect(runWithTimeout(10_000, job, AbortSignal.abort(reason), work)).rejects.toBe(reason);
    expect(work).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ignores a worker signal that never aborts', async () => {
    const worker = new AbortController();

    await expect(runWithTimeout(1_000, job, worker.signal, async () => 'done')).resolves.toBe(
      'done',
    );
    worker.abort(new Error('after the fact'));
  });

  it('leaves no unhandled rejection when abandoned work fails later', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      let failedLate = false;
      const run = runWithTimeout(10, job, undefined, async () => {
        await sleep(60);
        failedLate = true;
        throw new Error('failed after the timeout');
      });

      await expect(run).rejects.toBeInstanceOf(JobTimeoutError);
      expect(failedLate).toBe(false);
      await afterLateFailure(() => failedLate);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(unhandled).toEqual([]);
  });

  it('leaves no unhandled rejection when work fails after a worker cancellation', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const worker = new AbortController();
      let failedLate = false;
      const run = runWithTimeout(10_000, job, worker.signal, async (signal) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        await sleep(10);
        failedLate = true;
        throw new Error('cleanup failed');
      });

      worker.abort(new Error('cancelled'));

      await expect(run).rejects.toThrow('cancelled');
      await afterLateFailure(() => failedLate);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }

    expect(unhandled).toEqual([]);
  });
});

/** A worker as BullMQ's: one AbortController per job it runs, aborted by cancelJob. */
function fakeWorker(qualifiedName: string) {
  const controllers = new Map<string, AbortController>();
  const worker: CancellingWorker & { start(jobId: string): AbortSignal } = {
    qualifiedName,
    start(jobId) {
      const controller = new AbortController();
      controllers.set(jobId, controller);
      return controller.signal;
    },
    cancelJob(jobId, reason) {
      const controller = controllers.get(jobId);
      if (!controller) return false;
      controller.abort(reason);
      return true;
    },
  };
  return worker;
}

describe('runWithTimeout, for a job of a worker registered with cancelOverrunsOf', () => {
  const queued = { id: '7', queueQualifiedName: 'bull:reports' };
  let undo: (() => void) | undefined;
  afterEach(() => {
    undo?.();
    undo = undefined;
  });

  function registered() {
    const worker = fakeWorker(queued.queueQualifiedName);
    undo = cancelOverrunsOf(worker);
    return { worker, signal: worker.start(queued.id) };
  }

  it('gives work BullMQ’s own signal and resolves with its value', async () => {
    const { signal } = registered();
    let given: AbortSignal | undefined;
    const value = await runWithTimeout(1_000, queued, signal, async (stepSignal) => {
      given = stepSignal;
      return 'done';
    });
    expect(value).toBe('done');
    expect(given).toBe(signal);
  });

  it('cancels the job through its worker when the time is up, with the timeout as reason', async () => {
    const { signal } = registered();
    let reason: unknown;
    const run = runWithTimeout(50, queued, signal, (stepSignal) => {
      return new Promise<never>((_resolve, reject) =>
        stepSignal.addEventListener('abort', () => {
          reason = stepSignal.reason;
          reject(stepSignal.reason);
        }),
      );
    });
    await expect(run).rejects.toBeInstanceOf(JobTimeoutError);
    expect(signal.aborted).toBe(true);
    expect(reason).toBeInstanceOf(JobTimeoutError);
  });

  it('fails when the time is up even if work ignores its signal', async () => {
    const { signal } = registered();
    const run = track(runWithTimeout(50, queued, signal, ignoresSignal));
    await sleep(20);
    expect(run.state.settled).toBe(false);
    await run.done;
    expect(run.state.error).toBeInstanceOf(JobTimeoutError);
  });

  it('ends a cancelled attempt when its step gives up, with the worker’s reason as an Error', async () => {
    const { worker, signal } = registered();
    const run = runWithTimeout(10_000, queued, signal, (stepSignal) => {
      return new Promise<never>((_resolve, reject) =>
        stepSignal.addEventListener('abort', () => reject(stepSignal.reason)),
      );
    });
    expect(worker.cancelJob(queued.id, 'operator stopped it')).toBe(true);
    await expect(run).rejects.toThrow('The job was cancelled: operator stopped it');
  });

  it('never lets a cancelled attempt succeed, even when its steps ignore the signal', async () => {
    const { worker, signal } = registered();
    const run = runWithTimeout(10_000, queued, signal, async () => {
      worker.cancelJob(queued.id, new Error('shutting down'));
      await sleep(10);
      return 'done';
    });
    await expect(run).rejects.toThrow('shutting down');
  });

  it('rejects at once, without starting the work, when the signal has already aborted', async () => {
    const { worker, signal } = registered();
    worker.cancelJob(queued.id, new Error('too late'));
    const work = vi.fn(async () => 'done');
    await expect(runWithTimeout(10_000, queued, signal, work)).rejects.toThrow('too late');
    expect(work).not.toHaveBeenCalled();
  });

  it('makes its own signal again once the worker is no longer registered', async () => {
    const { signal } = registered();
    undo?.();
    undo = undefined;
    let given: AbortSignal | undefined;
    await runWithTimeout(1_000, queued, signal, async (stepSignal) => {
      given = stepSignal;
    });
    expect(given).toBeDefined();
    expect(given).not.toBe(signal);
  });
});

/** An attempt ran past its job's timeout. A plain error, so BullMQ retries the job. */
export class JobTimeoutError extends Error {
  override readonly name = "JobTimeoutError";

  constructor(readonly timeoutMs: number) {
    super(`The job did not finish within ${timeoutMs} ms`);
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error
    ? reason
    : new Error(`The job was cancelled: ${String(reason)}`);
}

/** The job as runWithTimeout needs it; a BullMQ Job fits. */
export interface TimedJob {
  readonly id?: string | undefined;
  /** The queue's key prefix and name, as the worker running the job has it. */
  readonly queueQualifiedName: string;
}

/** A worker that can abort the signal it gave one of its jobs; a BullMQ Worker fits. */
export interface CancellingWorker {
  readonly qualifiedName: string;
  /**
   * BullMQ hands `reason` to the job's AbortController as it is (its type says
   * string): the steps then see the timeout error itself as the signal's reason.
   */
  cancelJob(jobId: string, reason?: unknown): boolean;
}

const cancellingWorkers = new Map<string, Set<CancellingWorker>>();

/**
 * Lets runWithTimeout end an overrunning job of `worker` through the signal BullMQ
 * already made for it (`worker.cancelJob`), instead of a second AbortController per
 * job: on Node 20 each costs ~4 µs and ~700 bytes, a tenth of a no-op job's time.
 * Returns what undoes it, for when the worker closes.
 */
export function cancelOverrunsOf(worker: CancellingWorker): () => void {
  const workers =
    cancellingWorkers.get(worker.qualifiedName) ?? new Set<CancellingWorker>();
  cancellingWorkers.set(worker.qualifiedName, workers);
  workers.add(worker);
  return () => {
    workers.delete(worker);
    if (workers.size === 0) cancellingWorkers.delete(worker.qualifiedName);
  };
}

/** Settles an attempt once: with the work's outcome, or with whatever ends it first. */
function settleOnce<T>(
  reject: (error: unknown) => void,
  timer: () => NodeJS.Timeout
) {
  let settled = false;
  const finish = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer());
    return true;
  };
  return {
    /** Fails the attempt; false when it had already ended. */
    fail(error: unknown): boolean {
      if (!finish()) return false;
      reject(error);
      return true;
    },
    /**
     * Runs `work`. After a timeout or a cancel the attempt has already failed: what
     * the abandoned work does later is ignored, and handled here so it cannot crash
     * the process. `outcome` may turn what the work gave into a failure.
     */
    run(
      work: () => Promise<T>,
      outcome: (result: { value: T } | { error: unknown }) => void
    ) {
      let running: Promise<T>;
      try {
        running = work();
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then(
        (value) => {
          if (finish()) outcome({ value });
        },
        (error: unknown) => {
          if (finish()) outcome({ error });
        }
      );
    }
  };
}

/**
 * BullMQ has no job timeout option. This runs `work` with a signal that aborts when
 * `timeoutMs` passes or when the worker cancels the job (`workerSignal`, from
 * `worker.cancelJob`), and fails the attempt when the time is up even if `work`
 * ignores the signal. It runs once per job, so it is kept lean:
 *
 * - For a job of a worker registered with `cancelOverrunsOf` (the worker pool's),
 *   `work` gets BullMQ's own signal; at the deadline the worker cancels the job with
 *   the timeout error as reason. A cancel by anyone else ends the attempt when the
 *   step running gives up on its aborted signal, and a cancelled attempt never
 *   succeeds.
 * - Otherwise (another worker, a direct call) it makes its own signal, which aborts
 *   at the deadline or on `workerSignal`, and a cancel fails the attempt at once.
 *   The cancel is forwarded by hand rather than through `AbortSignal.any`, which
 *   costs three times as much per call on Node 20.
 */
export function runWithTimeout<T>(
  timeoutMs: number,
  job: TimedJob,
  workerSignal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const workers = cancellingWorkers.get(job.queueQualifiedName);
  if (workerSignal && workers && job.id !== undefined) {
    return runOnWorkerSignal(timeoutMs, job.id, workers, workerSignal, work);
  }
  return runOnOwnSignal(timeoutMs, workerSignal, work);
}

function runOnWorkerSignal<T>(
  timeoutMs: number,
  jobId: string,
  workers: ReadonlySet<CancellingWorker>,
  signal: AbortSignal,
  work: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const attempt = settleOnce<T>(reject, () => timer);
    const timer = setTimeout(() => {
      const error = new JobTimeoutError(timeoutMs);
      for (const worker of workers) if (worker.cancelJob(jobId, error)) break;
      attempt.fail(error);
    }, timeoutMs);
    if (signal.aborted) {
      attempt.fail(asError(signal.reason));
      return;
    }
    attempt.run(
      () => work(signal),
      (result) => {
        if (signal.aborted) reject(asError(signal.reason));
        else if ("error" in result) reject(result.error);
        else resolve(result.value);
      }
    );
  });
}

function runOnOwnSignal<T>(
  timeoutMs: number,
  workerSignal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    const attempt = settleOnce<T>(reject, () => timer);
    // The steps' signal carries the reason as given (the worker's own, for a
    // cancellation); the attempt fails with it as an Error.
    const fail = (error: Error, reason: unknown = error): void => {
      if (attempt.fail(error)) controller.abort(reason);
    };
    const onCancel = (): void =>
      fail(asError(workerSignal?.reason), workerSignal?.reason);
    const timer = setTimeout(
      () => fail(new JobTimeoutError(timeoutMs)),
      timeoutMs
    );
    if (workerSignal?.aborted) {
      onCancel();
      return;
    }
    // BullMQ makes a signal per job, dropped with it, so the listener is never removed:
    // after the attempt settles it finds nothing left to do.
    workerSignal?.addEventListener("abort", onCancel, { once: true });
    attempt.run(
      () => work(controller.signal),
      (result) =>
        "error" in result ? reject(result.error) : resolve(result.value)
    );
  });
}

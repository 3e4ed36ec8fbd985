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

/** Where an overrun is sent on the worker path: the job, to the workers that may run it. */
interface Cancelling {
  readonly jobId: string;
  readonly workers: ReadonlySet<CancellingWorker>;
}

/**
 * One attempt. It ends once: with the work's outcome, or with whatever ends it
 * first (the deadline, a cancel); what abandoned work does later is ignored, and
 * handled so it cannot crash the process. It runs for every job, so it is a single
 * object with shared methods: the timer gets it as an argument and it is its own
 * abort listener, instead of a fresh closure for each callback.
 */
class Attempt<T> {
  /** The signal the steps get. */
  readonly signal: AbortSignal;
  private settled = false;
  private readonly timer: NodeJS.Timeout;
  /** The attempt's own signal's controller; absent when the steps get BullMQ's. */
  private readonly controller: AbortController | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly cancelling: Cancelling | undefined,
    private readonly workerSignal: AbortSignal | undefined,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void
  ) {
    if (cancelling && workerSignal) {
      this.controller = undefined;
      this.signal = workerSignal;
    } else {
      this.controller = new AbortController();
      this.signal = this.controller.signal;
    }
    this.timer = setTimeout(endOverrun, timeoutMs, this);
  }

  /** Runs `work`, unless the worker cancelled the job before it started. */
  start(work: (signal: AbortSignal) => Promise<T>): void {
    const { workerSignal } = this;
    if (workerSignal?.aborted) {
      this.cancel();
      return;
    }
    // BullMQ makes a signal per job, dropped with it, so the listener is never
    // removed: after the attempt settles it finds nothing left to do.
    if (this.controller)
      workerSignal?.addEventListener("abort", this, { once: true });
    let running: Promise<T>;
    try {
      running = work(this.signal);
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => this.workSucceeded(value),
      (error: unknown) => this.workFailed(error)
    );
  }

  /** The deadline passed: fail with a timeout, and abort the steps' signal with it. */
  overrun(): void {
    const error = new JobTimeoutError(this.timeoutMs);
    if (this.cancelling) {
      const { jobId, workers } = this.cancelling;
      for (const worker of workers) if (worker.cancelJob(jobId, error)) break;
      this.fail(error);
    } else if (this.fail(error)) {
      this.controller?.abort(error);
    }
  }

  /** The listener of the worker's signal on the own-signal path. */
  handleEvent(): void {
    this.cancel();
  }

  /**
   * The worker cancelled the job: fail with its reason as an Error; the steps' own
   * signal carries the reason as given.
   */
  private cancel(): void {
    const reason: unknown = this.workerSignal?.reason;
    if (this.fail(asError(reason))) this.controller?.abort(reason);
  }

  private workSucceeded(value: T): void {
    if (!this.end()) return;
    if (this.cancelledOnWorkerPath()) this.reject(asError(this.signal.reason));
    else this.resolve(value);
  }

  private workFailed(error: unknown): void {
    if (!this.end()) return;
    this.reject(
      this.cancelledOnWorkerPath() ? asError(this.signal.reason) : error
    );
  }

  /**
   * On the worker path a cancel ends the attempt once the step running gives up on
   * its aborted signal, and a cancelled attempt never succeeds.
   */
  private cancelledOnWorkerPath(): boolean {
    return this.cancelling !== undefined && this.signal.aborted;
  }

  /** Fails the attempt; false when it had already ended. */
  private fail(error: unknown): boolean {
    if (!this.end()) return false;
    this.reject(error);
    return true;
  }

  private end(): boolean {
    if (this.settled) return false;
    this.settled = true;
    clearTimeout(this.timer);
    return true;
  }
}

function endOverrun(attempt: { overrun(): void }): void {
  attempt.overrun();
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
  const cancelling =
    workerSignal && workers && job.id !== undefined
      ? { jobId: job.id, workers }
      : undefined;
  return new Promise<T>((resolve, reject) => {
    new Attempt<T>(timeoutMs, cancelling, workerSignal, resolve, reject).start(
      work
    );
  });
}

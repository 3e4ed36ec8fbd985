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

/**
 * BullMQ has no job timeout option. This runs `work` with a signal that aborts when
 * `timeoutMs` passes or when the worker cancels the job (`workerSignal`), and fails
 * the attempt at that moment even if `work` ignores the signal.
 */
export async function runWithTimeout<T>(
  timeoutMs: number,
  workerSignal: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new JobTimeoutError(timeoutMs)),
    timeoutMs
  );
  const signal = workerSignal
    ? AbortSignal.any([workerSignal, deadline.signal])
    : deadline.signal;
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(asError(signal.reason));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  const running = work(signal);
  // Once the deadline wins the race the attempt has failed; the abandoned work's
  // own later rejection carries nothing new and must not crash the process.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, aborted]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

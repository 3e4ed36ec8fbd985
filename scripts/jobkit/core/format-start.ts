// Starts prettier's formatting thread (format-thread.ts) as this module loads. The
// command-line entry that formats (gen-job) loads this module before the rest of the
// kit (scripts/bin/kit.mjs), so the thread starts ~15-20 ms sooner: the thread,
// loading prettier and formatting, is what a scripted run waits for.
import { isMainThread, Worker } from 'node:worker_threads';
import { KitError } from './errors.js';
import { FORMAT_THREAD, type CloseRequest } from './format-files.js';

export interface StartedThread {
  readonly worker: Worker;
  /** Rejects when the thread fails or stops, whenever that happens. */
  readonly stopped: Promise<never>;
}

function startFormatThread(): StartedThread {
  // '../core/': the same file from this module and from a chunk one folder deep
  // (chunks/), where bundling may put this module (see scripts/bin/kit.mjs).
  const worker = new Worker(new URL('../core/format-thread.js', import.meta.url), {
    workerData: FORMAT_THREAD,
    // Prettier allocates briskly; a larger young generation means fewer collections.
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  // Listening from the start: the thread may fail before anyone asks it anything.
  const stopped = new Promise<never>((_resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new KitError(`the formatting thread stopped (exit code ${code})`)),
    );
  });
  stopped.catch(() => undefined);
  // Referenced only while a request is out (see FormatThread in format.ts), so it
  // never keeps the process alive, such as a run whose answers are refused.
  worker.unref();
  return { worker, stopped };
}

/**
 * Stops the thread once nothing it started is in flight (it says so, see
 * format-thread.ts), holding the process open until then: a thread cut off with a
 * file operation in flight (prettier loading, a configuration lookup) can abort
 * the whole process on Node 20. Resolves once the thread can no longer do that.
 */
export async function stopFormatThread({ worker, stopped }: StartedThread): Promise<void> {
  const idle = new Promise<void>((resolve) => {
    const onMessage = (message: unknown): void => {
      if (typeof message !== 'object' || message === null || !('closed' in message)) return;
      worker.off('message', onMessage);
      resolve();
    };
    worker.on('message', onMessage);
  });
  worker.postMessage({ close: true } satisfies CloseRequest);
  worker.ref();
  await Promise.race([idle, stopped.catch(() => undefined)]);
  worker.unref();
  worker.terminate().catch((error: unknown) => {
    // Nothing was in flight any more; a thread that fails to stop is worth a warning.
    process.emitWarning(error instanceof Error ? error : String(error));
  });
}

// Only the compiled kit (.js) can start the thread: from the TypeScript sources
// (tests, tsx) a plain thread could not load it, so those format in place.
const compiled = isMainThread && import.meta.url.endsWith('.js');
let started = compiled ? startFormatThread() : undefined;
// A run that ends before it formats (answers refused) never takes the thread.
process.once('beforeExit', () => {
  if (started) void stopFormatThread(started);
  started = undefined;
});

/**
 * The thread this module started as it loaded, the first time; a new one after;
 * none from the TypeScript sources, which format in place.
 */
export function takeFormatThread(): StartedThread | undefined {
  if (!compiled) return undefined;
  const thread = started ?? startFormatThread();
  started = undefined;
  return thread;
}

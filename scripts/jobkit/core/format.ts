import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CheckFailedError, HostError, KitError } from './errors.js';
import {
  FORMAT_THREAD,
  type CloseRequest,
  type FormatInput,
  type FormatOutcome,
  type FormatReply,
  type FormatRequest,
} from './format-thread.js';
import { describePieces, spliceFormatted } from './snippets.js';
import type { FileChange } from './tree.js';

/** A check that ran on the plan, for reports and `--json`. */
export interface CheckResult {
  check: string;
  target: string;
  ok: boolean;
  durationMs: number;
  output?: string;
  /**
   * For parse+format: `file` for a new file, `inserted code` for an existing one;
   * `config` when prettier's configuration for the file did not load.
   */
  scope?: 'file' | 'inserted code' | 'config';
  /** Diagnostics the tree had before the run (not a failure). */
  preExisting?: number;
  /** Why the check could not run at all (not a failure). */
  skipped?: string;
}

/**
 * The thread's entry. The compiled kit runs `core/format-thread.js` ('../core/': the
 * same file from this module and from a chunk one folder deep, where bundling may
 * put it); the TypeScript sources (tests) run `format-thread.ts` through tsx's loader.
 */
function threadScript(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith('.ts')) {
    return { script: new URL('../core/format-thread.js', import.meta.url), eval: false };
  }
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./format-thread.ts', import.meta.url).href;
  return {
    script: `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`,
    eval: true,
  };
}

/**
 * Prettier on a thread of its own: loading it and its plugins (~0.1 s of CPU)
 * overlaps the loading of the rest of the kit and the planning on the main thread.
 * Referenced only while a request is out, so it keeps the process alive for
 * nothing else; closed when the process has nothing else left to do.
 */
class FormatThread {
  private readonly worker: Worker;
  /** Rejects when the thread fails or stops, whenever that happens. */
  readonly stopped: Promise<never>;
  private readonly waiting = new Map<number, (reply: FormatReply) => void>();
  private nextId = 0;

  constructor() {
    const { script, eval: isEval } = threadScript();
    this.worker = new Worker(script, {
      eval: isEval,
      workerData: FORMAT_THREAD,
      // Prettier allocates briskly; a larger young generation means fewer collections.
      resourceLimits: { maxYoungGenerationSizeMb: 64 },
    });
    // Listening from the start: the thread may fail before anyone asks it anything.
    this.stopped = new Promise<never>((_resolve, reject) => {
      this.worker.once('error', (error) =>
        reject(new KitError(`the formatting thread failed: ${error.message}`)),
      );
      this.worker.once('exit', (code) =>
        reject(new KitError(`the formatting thread stopped (exit code ${code})`)),
      );
    });
    this.stopped.catch(() => undefined);
    this.worker.on('message', (reply: FormatReply | { closed: true }) => {
      if (!('id' in reply)) return;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
    });
    this.worker.unref();
  }

  async format(files: FormatInput[]): Promise<FormatOutcome[]> {
    const id = this.nextId;
    this.nextId += 1;
    const answered = new Promise<FormatReply>((resolve) => this.waiting.set(id, resolve));
    this.worker.ref();
    this.worker.postMessage({ id, files } satisfies FormatRequest);
    const reply = await Promise.race([answered, this.stopped]);
    if ('error' in reply) throw new KitError(`prettier failed: ${reply.error}`);
    return reply.outcomes;
  }

  /**
   * Stops the thread once nothing it started is in flight (it says so), holding the
   * process open until then: a thread cut off with a file operation in flight
   * (prettier loading, a configuration lookup) can abort the whole process on Node 20.
   */
  async close(): Promise<void> {
    const idle = new Promise<void>((resolve) => {
      this.worker.on('message', (message: object) => {
        if ('closed' in message) resolve();
      });
    });
    this.worker.postMessage({ close: true } satisfies CloseRequest);
    this.worker.ref();
    await Promise.race([idle, this.stopped.catch(() => undefined)]);
    await this.worker.terminate();
  }
}

let thread: FormatThread | undefined;

/**
 * Starts the formatting thread unless it runs already. `pnpm gen:job` calls it
 * before the rest of the kit loads (scripts/bin/kit.mjs); otherwise the first
 * formatting starts it.
 */
export function startFormatThread(): void {
  thread ??= new FormatThread();
}

/** Stops the formatting thread, if one runs, once nothing is in flight on it. */
async function closeFormatThread(): Promise<void> {
  const closing = thread;
  thread = undefined;
  await closing?.close();
}

// A process that has nothing else to do (a run that ended, or one refused before it
// formatted anything while prettier was still loading) closes the thread cleanly.
process.on('beforeExit', () => {
  if (thread) void closeFormatThread();
});

async function formatOnThread(files: FormatInput[]): Promise<FormatOutcome[]> {
  startFormatThread();
  const current = thread as FormatThread;
  try {
    return await current.format(files);
  } catch (error) {
    // A thread that stopped is replaced by a new one for the next request.
    current.stopped.catch(() => {
      if (thread === current) thread = undefined;
    });
    throw error;
  }
}

/**
 * Formats what the plan wrote, with the host's prettier and its configuration: each
 * new file whole; in an existing file only the code the plan inserted, each piece in
 * a wrapper that reproduces its place (see snippets.ts), so every line the plan did
 * not touch stays as it is, formatted or not. A file the plan rewrote as a whole (a
 * removal) is kept as planned. TypeScript goes through prettier's `babel-ts` parser
 * (see format-thread.ts), so code that does not parse fails here, naming the file and
 * the position, before anything is written.
 */
export async function formatFiles(
  root: string,
  changes: FileChange[],
  checks: CheckResult[],
): Promise<FileChange[]> {
  const inputs = changes.flatMap((change): FormatInput[] => {
    const { path, before, after, regions } = change;
    const filepath = join(root, path);
    if (after === null) return [];
    if (before === null) return [{ kind: 'file', path, filepath, text: after }];
    return regions
      ? [{ kind: 'pieces', path, filepath, pieces: describePieces(after, regions) }]
      : [];
  });
  if (inputs.length === 0) return changes;
  const outcomes = await formatOnThread(inputs);
  const formatted = new Map<string, string>();
  const failures: (FormatOutcome & { ok: false })[] = [];
  for (const outcome of outcomes) {
    checks.push({
      check: 'parse+format',
      target: outcome.path,
      ok: outcome.ok,
      scope: outcome.ok ? (outcome.kind === 'file' ? 'file' : 'inserted code') : outcome.scope,
      durationMs: outcome.durationMs,
      ...(outcome.ok ? {} : { output: outcome.reason }),
    });
    if (!outcome.ok) {
      failures.push(outcome);
    } else if (outcome.kind === 'file') {
      formatted.set(outcome.path, outcome.after);
    } else {
      const change = changes.find((candidate) => candidate.path === outcome.path) as FileChange;
      const after = change.after as string;
      formatted.set(outcome.path, spliceFormatted(after, change.regions ?? [], outcome.pieces));
    }
  }
  const config = failures.find((failure) => failure.scope === 'config');
  if (config?.scope === 'config') {
    const file = config.configFile ? relative(root, config.configFile) : undefined;
    throw new HostError(
      `${file ?? `prettier's configuration for ${config.path}`}: prettier cannot load it (${config.reason}); fix it, then run again`,
      file,
    );
  }
  const [failed] = failures;
  if (failed) {
    throw new CheckFailedError(
      `${failed.path}: generated code does not parse: ${failed.reason}`,
      'parse',
      failed.path,
    );
  }
  return changes.map((change) => {
    const after = formatted.get(change.path);
    return after === undefined ? change : { ...change, after };
  });
}

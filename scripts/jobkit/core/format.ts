import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import {
  isMainThread,
  parentPort,
  Worker,
  workerData,
  type MessagePort,
} from 'node:worker_threads';
import type { Plugin } from 'prettier';
import { CheckFailedError, KitError } from './errors.js';
import type { FileChange } from './tree.js';

/** A check that ran on the plan, for reports and `--json`. */
export interface CheckResult {
  check: string;
  target: string;
  ok: boolean;
  durationMs: number;
  output?: string;
}

type Prettier = typeof import('prettier');

interface FormatInput {
  path: string;
  filepath: string;
  text: string;
}

type FormatOutcome = { path: string; durationMs: number } & (
  { ok: true; after: string } | { ok: false; reason: string }
);

/**
 * Formats every file at once, as each finishes: the outcomes are in completion order.
 * `plugins` go before the configuration's own, which keep the last word.
 */
async function formatAll(
  prettier: Prettier,
  files: readonly FormatInput[],
  plugins: Plugin[] = [],
): Promise<FormatOutcome[]> {
  const outcomes: FormatOutcome[] = [];
  await Promise.all(
    files.map(async ({ path, filepath, text }) => {
      const started = performance.now();
      try {
        const options = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
        const after = await prettier.format(text, {
          ...options,
          filepath,
          ...(plugins.length > 0 ? { plugins: [...plugins, ...(options.plugins ?? [])] } : {}),
        });
        outcomes.push({ path, ok: true, after, durationMs: performance.now() - started });
      } catch (error) {
        const reason =
          error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        outcomes.push({ path, ok: false, reason, durationMs: performance.now() - started });
      }
    }),
  );
  return outcomes;
}

/** Marks the thread this module starts for itself (`workerData`). */
const FORMAT_THREAD = 'jobkit:format';

/**
 * Prettier's TypeScript parser and estree printer, the same code as its built-in
 * ones, from their script builds, compiled with V8's code cache when an earlier run
 * left one (node_modules/.cache/jobkit/<version>/v8-cache/). Half of prettier is these
 * two files; the cache spares compiling them on every run. `save()` writes the cache
 * once the formatting has compiled what it uses.
 */
function cachedPlugins(prettierVersion: string): { plugins: Plugin[]; save: () => void } {
  const require = createRequire(import.meta.url);
  const cacheDir = fileURLToPath(new URL('../v8-cache/', import.meta.url));
  const loaded = ['estree', 'typescript'].map((name) => {
    const file = require.resolve(`prettier/plugins/${name}`);
    const cacheFile = join(cacheDir, `prettier-${prettierVersion}-${name}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(cacheFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const script = new Script(`(function (module, exports) {${readFileSync(file, 'utf8')}\n})`, {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
    });
    const module = { exports: {} as Plugin };
    (script.runInThisContext() as (m: typeof module, e: Plugin) => void)(module, module.exports);
    const stale = !cachedData || script.cachedDataRejected === true;
    return { plugin: module.exports, script, cacheFile, stale };
  });
  return {
    plugins: loaded.map(({ plugin }) => plugin),
    save: () => {
      for (const { script, cacheFile, stale } of loaded) {
        if (!stale) continue;
        mkdirSync(dirname(cacheFile), { recursive: true });
        // Renamed into place: a run starting meanwhile reads a whole cache or none.
        const temporary = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, cacheFile);
      }
    },
  };
}

/** The formatting thread: loads prettier and its plugins, then formats what it is sent. */
function serve(port: MessagePort): void {
  const ready = import('prettier').then((prettier) => ({
    prettier,
    cache: cachedPlugins(prettier.version),
  }));
  port.on('message', (files: FormatInput[]) => {
    ready
      .then(async ({ prettier, cache }) => {
        const outcomes = await formatAll(prettier, files, cache.plugins);
        cache.save();
        return outcomes;
      })
      .then(
        (outcomes) => port.postMessage({ outcomes }),
        (error: unknown) =>
          port.postMessage({
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
}

type Reply = { outcomes: FormatOutcome[] } | { error: string };

/**
 * Prettier on a thread of its own, started as soon as this module loads: loading
 * prettier and its TypeScript plugins (~0.1 s of CPU) then overlaps the loading of
 * the rest of the kit and the planning on the main thread, when a core is free.
 * Used once: terminated as soon as it has answered, so its teardown overlaps the
 * writing. Unreferenced while idle, so it never keeps the process alive.
 */
class FormatThread {
  private readonly worker = new Worker(new URL(import.meta.url), {
    workerData: FORMAT_THREAD,
    // Prettier allocates briskly; a larger young generation means fewer collections.
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  private readonly reply: Promise<Reply>;

  constructor() {
    this.reply = new Promise<Reply>((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
      this.worker.once('exit', (code) =>
        reject(new KitError(`the formatting thread stopped (exit code ${code})`)),
      );
    });
    // Until a request awaits it, a failure is held here and surfaces in format().
    this.reply.catch(() => undefined);
    // After the listeners: adding a 'message' listener refs the worker again, and a
    // run that stops before formatting (answers refused, lock held) would never exit.
    this.worker.unref();
  }

  async format(files: FormatInput[]): Promise<FormatOutcome[]> {
    this.worker.ref();
    this.worker.postMessage(files);
    try {
      const reply = await this.reply;
      if ('error' in reply) throw new KitError(`prettier failed: ${reply.error}`);
      return reply.outcomes;
    } finally {
      // Not awaited: the thread's teardown runs while the files are written.
      this.worker.unref();
      this.worker.terminate().catch((error: unknown) => {
        throw error;
      });
    }
  }
}

const isFormatThread = !isMainThread && workerData === FORMAT_THREAD;
if (isFormatThread && parentPort) serve(parentPort);

// Only the compiled kit (.js) can start a thread on this file: from the TypeScript
// sources (tests, tsx) a plain thread could not load it, so those format in place.
const compiled = !isFormatThread && import.meta.url.endsWith('.js');
let early = compiled ? new FormatThread() : undefined;

async function formatFiles(files: FormatInput[]): Promise<FormatOutcome[]> {
  if (!compiled) return formatAll(await import('prettier'), files);
  const thread = early ?? new FormatThread();
  early = undefined;
  return thread.format(files);
}

/**
 * Formats every created or modified file with the host's prettier configuration.
 * For TypeScript, prettier parses with TypeScript's own parser (bundled in its
 * typescript plugin), so a file that does not parse fails here, naming the file
 * and the position, before anything is written.
 */
export async function formatChanges(
  root: string,
  changes: FileChange[],
  checks: CheckResult[],
): Promise<FileChange[]> {
  const inputs = changes.flatMap((change) =>
    change.after === null
      ? []
      : [{ path: change.path, filepath: join(root, change.path), text: change.after }],
  );
  const outcomes = await formatFiles(inputs);
  const formatted = new Map<string, string>();
  for (const outcome of outcomes) {
    checks.push({
      check: 'parse+format',
      target: outcome.path,
      ok: outcome.ok,
      durationMs: outcome.durationMs,
      ...(outcome.ok ? {} : { output: outcome.reason }),
    });
    if (outcome.ok) formatted.set(outcome.path, outcome.after);
  }
  const failed = outcomes.find((outcome) => !outcome.ok);
  if (failed && !failed.ok) {
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

import { createHash } from 'node:crypto';
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
import { formatRegions } from './snippets.js';
import type { FileChange, Region } from './tree.js';

/** A check that ran on the plan, for reports and `--json`. */
export interface CheckResult {
  check: string;
  target: string;
  ok: boolean;
  durationMs: number;
  output?: string;
  /** For parse+format: `inserted code` when only the kit's insertions were formatted. */
  scope?: 'file' | 'inserted code';
}

type Prettier = typeof import('prettier');

interface FormatInput {
  path: string;
  filepath: string;
  text: string;
  /** The file before the plan, and what the plan inserted into it (see snippets.ts). */
  before: string | null;
  regions?: Region[];
}

type FormatOutcome = { path: string; durationMs: number; scope: 'file' | 'inserted code' } & (
  { ok: true; after: string } | { ok: false; reason: string }
);

/**
 * The name of a text known to parse and to be formatted under these options: the
 * same prettier, the same resolved configuration, the same bytes.
 */
function checkedKey(prettierVersion: string, options: object, text: string): string {
  return createHash('sha1')
    .update(`${prettierVersion}\0${JSON.stringify(options)}\0`)
    .update(text)
    .digest('hex');
}

/**
 * Formats every file at once, as each finishes: the outcomes are in completion order.
 * An existing file that an earlier run knew to be formatted (`known`) gets only the
 * code the plan inserted formatted; any other file is formatted whole, and what is
 * learned about formatted texts goes into `learned`. `plugins` go before the
 * configuration's own, which keep the last word.
 */
async function formatAll(
  prettier: Prettier,
  files: readonly FormatInput[],
  known: ReadonlySet<string>,
  plugins: Plugin[] = [],
): Promise<{ outcomes: FormatOutcome[]; learned: string[] }> {
  const outcomes: FormatOutcome[] = [];
  const learned: string[] = [];
  await Promise.all(
    files.map(async ({ path, filepath, text, before, regions }) => {
      const started = performance.now();
      let scope: FormatOutcome['scope'] = 'file';
      try {
        const resolved = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
        const options = {
          ...resolved,
          filepath,
          ...(plugins.length > 0 ? { plugins: [...plugins, ...(resolved.plugins ?? [])] } : {}),
        };
        const key = (content: string): string => checkedKey(prettier.version, resolved, content);
        const format = (source: string): Promise<string> => prettier.format(source, options);
        let after: string | undefined;
        if (regions && before !== null && known.has(key(before))) {
          scope = 'inserted code';
          after = await formatRegions(text, regions, {
            format,
            level: resolved.useTabs ? '\t' : ' '.repeat(resolved.tabWidth ?? 2),
            semi: resolved.semi !== false,
          });
        }
        if (after === undefined) {
          scope = 'file';
          after = await format(text);
          // Learn whether the file was formatted before, so the next run can format
          // only what it inserts.
          if (regions && before !== null && (await format(before)) === before)
            learned.push(key(before));
        }
        learned.push(key(after));
        outcomes.push({ path, ok: true, after, scope, durationMs: performance.now() - started });
      } catch (error) {
        const reason =
          error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        const where = scope === 'inserted code' ? ` (in the code inserted into ${path})` : '';
        outcomes.push({
          path,
          ok: false,
          reason: reason + where,
          scope,
          durationMs: performance.now() - started,
        });
      }
    }),
  );
  return { outcomes, learned };
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
  port.on('message', ({ files, known }: FormatRequest) => {
    ready
      .then(async ({ prettier, cache }) => {
        const result = await formatAll(prettier, files, new Set(known), cache.plugins);
        cache.save();
        return result;
      })
      .then(
        (result) => port.postMessage(result),
        (error: unknown) =>
          port.postMessage({
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          }),
      );
  });
}

interface FormatRequest {
  files: FormatInput[];
  known: string[];
}

type Formatted = { outcomes: FormatOutcome[]; learned: string[] };
type Reply = Formatted | { error: string };

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

  async format(request: FormatRequest): Promise<Formatted> {
    this.worker.ref();
    this.worker.postMessage(request);
    try {
      const reply = await this.reply;
      if ('error' in reply) throw new KitError(`prettier failed: ${reply.error}`);
      return reply;
    } finally {
      // Not awaited: the thread's teardown runs while the files are written.
      this.worker.unref();
      this.worker.terminate().catch((error: unknown) => {
        // The formatting is done; a thread that fails to stop is worth a warning only.
        process.emitWarning(error instanceof Error ? error : String(error));
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

async function formatFiles(request: FormatRequest): Promise<Formatted> {
  if (!compiled) return formatAll(await import('prettier'), request.files, new Set(request.known));
  const thread = early ?? new FormatThread();
  early = undefined;
  return thread.format(request);
}

/** Texts known to parse and be formatted, kept under the host's node_modules/.cache. */
const CHECKED_FILE = 'node_modules/.cache/jobkit/prettier-checked.json';
const CHECKED_LIMIT = 5000;

/**
 * Where the kit remembers texts it has seen parse and formatted: a list of keys
 * (see checkedKey) kept under the host's node_modules/.cache.
 */
export interface CheckedStore {
  read(): string[];
  write(keys: string[]): void;
}

export function fileCheckedStore(root: string): CheckedStore {
  const path = join(root, CHECKED_FILE);
  return {
    read() {
      try {
        const keys = JSON.parse(readFileSync(path, 'utf8')) as unknown;
        return Array.isArray(keys)
          ? keys.filter((key): key is string => typeof key === 'string')
          : [];
      } catch (error) {
        // No list yet, or one cut short: every file is then formatted whole, as at first.
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) {
          return [];
        }
        throw error;
      }
    },
    write(keys) {
      mkdirSync(dirname(path), { recursive: true });
      // Renamed into place: two runs at once leave one whole list or the other.
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(keys));
      renameSync(temporary, path);
    },
  };
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
  store: CheckedStore = fileCheckedStore(root),
): Promise<FileChange[]> {
  const inputs = changes.flatMap((change): FormatInput[] =>
    change.after === null
      ? []
      : [
          {
            path: change.path,
            filepath: join(root, change.path),
            text: change.after,
            before: change.before,
            ...(change.regions ? { regions: change.regions } : {}),
          },
        ],
  );
  const known = store.read();
  const { outcomes, learned } = await formatFiles({ files: inputs, known });
  if (learned.some((key) => !known.includes(key))) {
    store.write([...new Set([...known, ...learned])].slice(-CHECKED_LIMIT));
  }
  const formatted = new Map<string, string>();
  for (const outcome of outcomes) {
    checks.push({
      check: 'parse+format',
      target: outcome.path,
      ok: outcome.ok,
      scope: outcome.scope,
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

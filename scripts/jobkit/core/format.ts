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
import { describePieces, formatPiece, spliceFormatted, type Piece } from './snippets.js';
import type { FileChange } from './tree.js';

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

/**
 * A file to format. `file`: the whole text (with the text before, when the run should
 * learn whether that was formatted). `pieces`: an existing file of which only the
 * inserted code is to be formatted, if the file before is known to be formatted; the
 * file itself stays on the main thread, so its size costs nothing here.
 */
type FormatInput = { path: string; filepath: string } & (
  | { kind: 'file'; text: string; before?: string }
  | { kind: 'pieces'; beforeDigest: string; pieces: (Piece | undefined)[] }
);

/**
 * `file`: the formatted text. `pieces`: every piece formatted (undefined where none was
 * sent). `whole`: the pieces cannot be used (the file before is not known to be
 * formatted, or a piece does not fit); the file is to be sent whole.
 */
type FormatOutcome = { path: string; durationMs: number } & (
  | { ok: true; optionsId: string; kind: 'file'; after: string; beforeFormatted: boolean }
  | { ok: true; optionsId: string; kind: 'pieces'; pieces: (string | undefined)[] }
  | { ok: true; optionsId: string; kind: 'whole' }
  | { ok: false; reason: string; scope: 'file' | 'inserted code' }
);

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * The name of a text known to parse and to be formatted under these options: the
 * same prettier and the same resolved configuration (`optionsId`), the same bytes
 * (`digest`, the text's SHA-1).
 */
function checkedKey(optionsId: string, digest: string): string {
  return sha1(`${optionsId}\0${digest}`);
}

/**
 * Formats every file at once; the outcomes are in completion order. `plugins` go
 * before the configuration's own, which keep the last word.
 */
async function formatAll(
  prettier: Prettier,
  files: readonly FormatInput[],
  known: ReadonlySet<string>,
  plugins: Plugin[] = [],
): Promise<FormatOutcome[]> {
  const outcomes: FormatOutcome[] = [];
  await Promise.all(
    files.map(async (input) => {
      const { path, filepath } = input;
      const started = performance.now();
      const durationMs = (): number => performance.now() - started;
      try {
        const resolved = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
        const optionsId = `${prettier.version}\0${JSON.stringify(resolved)}`;
        const options = {
          ...resolved,
          filepath,
          ...(plugins.length > 0 ? { plugins: [...plugins, ...(resolved.plugins ?? [])] } : {}),
        };
        const format = (source: string): Promise<string> => prettier.format(source, options);
        if (input.kind === 'pieces') {
          if (!known.has(checkedKey(optionsId, input.beforeDigest))) {
            outcomes.push({ path, ok: true, optionsId, kind: 'whole', durationMs: durationMs() });
            return;
          }
          const job = {
            format,
            level: resolved.useTabs ? '\t' : ' '.repeat(resolved.tabWidth ?? 2),
            semi: resolved.semi !== false,
          };
          let pieces: (string | undefined)[];
          try {
            pieces = await Promise.all(
              input.pieces.map((piece) => (piece ? formatPiece(piece, job) : undefined)),
            );
          } catch (error) {
            const reason =
              error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
            outcomes.push({
              path,
              ok: false,
              reason: `${reason} (in the code inserted into ${path})`,
              scope: 'inserted code',
              durationMs: durationMs(),
            });
            return;
          }
          const fits = pieces.every((piece, index) => piece !== undefined || !input.pieces[index]);
          outcomes.push(
            fits
              ? { path, ok: true, optionsId, kind: 'pieces', pieces, durationMs: durationMs() }
              : { path, ok: true, optionsId, kind: 'whole', durationMs: durationMs() },
          );
          return;
        }
        const after = await format(input.text);
        // Whether the file was formatted before: then the next run can format only
        // what it inserts.
        const beforeFormatted =
          input.before !== undefined && (await format(input.before)) === input.before;
        outcomes.push({
          path,
          ok: true,
          optionsId,
          kind: 'file',
          after,
          beforeFormatted,
          durationMs: durationMs(),
        });
      } catch (error) {
        const reason =
          error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        outcomes.push({ path, ok: false, reason, scope: 'file', durationMs: durationMs() });
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
  port.on('message', ({ files, known }: FormatRequest) => {
    ready
      .then(async ({ prettier, cache }) => {
        const outcomes = await formatAll(prettier, files, new Set(known), cache.plugins);
        cache.save();
        return { outcomes };
      })
      .then(
        (reply: Reply) => port.postMessage(reply),
        (error: unknown) =>
          port.postMessage({
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Reply),
      );
  });
}

interface FormatRequest {
  files: FormatInput[];
  known: string[];
}

type Reply = { outcomes: FormatOutcome[] } | { error: string };

/** Formats requests one after the other, then is closed. */
interface Formatter {
  format(request: FormatRequest): Promise<FormatOutcome[]>;
  close(): void;
}

/**
 * Prettier on a thread of its own, started as soon as this module loads: loading
 * prettier and its TypeScript plugins (~0.1 s of CPU) then overlaps the loading of
 * the rest of the kit and the planning on the main thread, when a core is free.
 * Used for one run: closed as soon as the run has its formatted files, so its
 * teardown overlaps the writing. Unreferenced while idle, so it never keeps the
 * process alive.
 */
class FormatThread implements Formatter {
  private readonly worker = new Worker(new URL(import.meta.url), {
    workerData: FORMAT_THREAD,
    // Prettier allocates briskly; a larger young generation means fewer collections.
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  /** Rejects when the thread fails or stops; held until a request awaits it. */
  private readonly stopped: Promise<never>;

  constructor() {
    this.stopped = new Promise<never>((_resolve, reject) => {
      this.worker.once('error', reject);
      this.worker.once('exit', (code) =>
        reject(new KitError(`the formatting thread stopped (exit code ${code})`)),
      );
    });
    this.stopped.catch(() => undefined);
    // After the listeners: adding one refs the worker again, and a run that stops
    // before formatting (answers refused, lock held) would never exit.
    this.worker.unref();
  }

  async format(request: FormatRequest): Promise<FormatOutcome[]> {
    this.worker.ref();
    try {
      const answered = new Promise<Reply>((resolve) => this.worker.once('message', resolve));
      this.worker.postMessage(request);
      const reply = await Promise.race([answered, this.stopped]);
      if ('error' in reply) throw new KitError(`prettier failed: ${reply.error}`);
      return reply.outcomes;
    } finally {
      this.worker.unref();
    }
  }

  close(): void {
    // Not awaited: the thread's teardown runs while the files are written.
    this.worker.terminate().catch((error: unknown) => {
      // The formatting is done; a thread that fails to stop is worth a warning only.
      process.emitWarning(error instanceof Error ? error : String(error));
    });
  }
}

const isFormatThread = !isMainThread && workerData === FORMAT_THREAD;
if (isFormatThread && parentPort) serve(parentPort);

// Only the compiled kit (.js) can start a thread on this file: from the TypeScript
// sources (tests, tsx) a plain thread could not load it, so those format in place.
const compiled = !isFormatThread && import.meta.url.endsWith('.js');
let early = compiled ? new FormatThread() : undefined;

function openFormatter(): Formatter {
  if (!compiled) {
    return {
      format: async ({ files, known }) =>
        formatAll(await import('prettier'), files, new Set(known)),
      close: () => undefined,
    };
  }
  const thread = early ?? new FormatThread();
  early = undefined;
  return thread;
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
 *
 * An existing file that an earlier run saw formatted gets only the code the plan
 * inserted formatted (see snippets.ts); only those pieces go to the formatting
 * thread. Any other file, or one whose pieces do not fit, is formatted whole, and
 * what that teaches about formatted texts goes into `store`.
 */
export async function formatChanges(
  root: string,
  changes: FileChange[],
  checks: CheckResult[],
  store: CheckedStore = fileCheckedStore(root),
): Promise<FileChange[]> {
  const known = store.read();
  const learned: string[] = [];
  const formatted = new Map<string, string>();
  const failures: { path: string; reason: string }[] = [];
  const byPath = new Map(changes.map((change) => [change.path, change]));
  const whole = (change: FileChange, after: string): FormatInput => ({
    kind: 'file',
    path: change.path,
    filepath: join(root, change.path),
    text: after,
    // For a file the plan spliced: whether it was formatted before, for next time.
    ...(change.regions && change.before !== null ? { before: change.before } : {}),
  });
  let request: FormatInput[] = changes.flatMap((change): FormatInput[] => {
    if (change.after === null) return [];
    if (!change.regions || change.before === null) return [whole(change, change.after)];
    return [
      {
        kind: 'pieces',
        path: change.path,
        filepath: join(root, change.path),
        beforeDigest: sha1(change.before),
        pieces: describePieces(change.after, change.regions),
      },
    ];
  });
  const formatter = openFormatter();
  try {
    // At most two rounds: pieces first, then whole files for those that need it.
    while (request.length > 0) {
      const retry: FormatInput[] = [];
      for (const outcome of await formatter.format({ files: request, known })) {
        const change = byPath.get(outcome.path) as FileChange & { after: string };
        const scope = !outcome.ok
          ? outcome.scope
          : outcome.kind === 'pieces'
            ? 'inserted code'
            : 'file';
        if (outcome.ok && outcome.kind === 'whole') {
          retry.push(whole(change, change.after));
          continue;
        }
        checks.push({
          check: 'parse+format',
          target: outcome.path,
          ok: outcome.ok,
          scope,
          durationMs: outcome.durationMs,
          ...(outcome.ok ? {} : { output: outcome.reason }),
        });
        if (!outcome.ok) {
          failures.push({ path: outcome.path, reason: outcome.reason });
          continue;
        }
        let after: string;
        if (outcome.kind === 'pieces') {
          after = spliceFormatted(change.after, change.regions ?? [], outcome.pieces);
        } else {
          after = outcome.after;
          if (outcome.beforeFormatted && change.before !== null)
            learned.push(checkedKey(outcome.optionsId, sha1(change.before)));
        }
        learned.push(checkedKey(outcome.optionsId, sha1(after)));
        formatted.set(outcome.path, after);
      }
      request = retry;
    }
  } finally {
    formatter.close();
  }
  if (learned.some((key) => !known.includes(key))) {
    store.write([...new Set([...known, ...learned])].slice(-CHECKED_LIMIT));
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

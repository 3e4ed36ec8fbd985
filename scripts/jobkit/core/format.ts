import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { CheckFailedError, HostError, KitError } from './errors.js';
import {
  checkedKey,
  formatAll,
  type ClosedReply,
  sha1,
  type FormatInput,
  type FormatOutcome,
  type FormatReply,
  type FormatRequest,
  type PrepareRequest,
} from './format-files.js';
import { stopFormatThread, takeFormatThread, type StartedThread } from './format-start.js';
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
   * For parse+format: `inserted code` when only the kit's insertions were formatted;
   * `config` when prettier's configuration for the file did not load.
   */
  scope?: 'file' | 'inserted code' | 'config';
  /** Diagnostics the tree had before the run (not a failure). */
  preExisting?: number;
  /** Why the check could not run at all (not a failure). */
  skipped?: string;
}

/** Formats requests, several at once if need be, until it is closed. */
export interface Formatter {
  format(request: FormatRequest): Promise<FormatOutcome[]>;
  /** Has the configuration of `filepaths` looked up before they are sent. */
  prepare(filepaths: string[]): void;
  /** Resolves once the formatter has ended. */
  close(): Promise<void>;
}

/**
 * Prettier on a thread of its own, started as soon as the kit loads (format-start.ts):
 * loading prettier and its plugins (~0.1 s of CPU) then overlaps the loading of the
 * rest of the kit and the planning on the main thread, when a core is free. Used
 * for one run: closed as soon as the run has its formatted files, so it ends while
 * the files are written. Referenced only while a request is out, and once closed
 * until nothing it started is in flight (see stopFormatThread), so it keeps the
 * process alive for nothing else.
 */
class FormatThread implements Formatter {
  private readonly worker: Worker;
  /** Rejects when the thread fails or stops; held until a request awaits it. */
  private readonly stopped: Promise<never>;
  private readonly waiting = new Map<number, (reply: FormatReply) => void>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly thread: StartedThread) {
    this.worker = thread.worker;
    this.stopped = thread.stopped;
    this.worker.on('message', (reply: FormatReply | ClosedReply) => {
      // The answer to closing goes to stopFormatThread.
      if (!('id' in reply)) return;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0 && !this.closed) this.worker.unref();
    });
    // After the listener: adding one refs the worker again, and a run that stops
    // before formatting (answers refused, lock held) would never exit.
    this.worker.unref();
  }

  async format(request: FormatRequest): Promise<FormatOutcome[]> {
    const id = this.nextId;
    this.nextId += 1;
    const answered = new Promise<FormatReply>((resolve) => this.waiting.set(id, resolve));
    this.worker.ref();
    this.worker.postMessage({ ...request, id } satisfies FormatRequest & { id: number });
    const reply = await Promise.race([answered, this.stopped]);
    if ('error' in reply) throw new KitError(`prettier failed: ${reply.error}`);
    return reply.outcomes;
  }

  prepare(filepaths: string[]): void {
    this.worker.postMessage({ prepare: filepaths } satisfies PrepareRequest);
  }

  close(): Promise<void> {
    this.closed = true;
    return stopFormatThread(this.thread);
  }
}

/** The formatting thread, or prettier in place where there is none (see format-start.ts). */
function openFormatter(): Formatter {
  const started = takeFormatThread();
  if (started) return new FormatThread(started);
  return {
    format: async ({ files, known }) => formatAll(await import('prettier'), files, new Set(known)),
    prepare: () => undefined,
    close: async () => undefined,
  };
}

/**
 * Prettier for one run, opened before the plan is made: the run tells it where it
 * will write (`prepare`) and hands it each file the plan creates as soon as it is
 * rendered (`ahead`), so the formatting thread works while the main thread plans.
 * `formatChanges` then takes what came back for every file whose text is still the
 * one sent, and closes the run.
 */
export class FormatRun {
  private readonly sent = new Map<string, { text: string; outcome: Promise<FormatOutcome> }>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly formatter: Formatter = openFormatter(),
  ) {}

  /**
   * Looks up prettier's configuration for these places (paths relative to the
   * root; a file need not exist yet, its folder is what counts) while the plan is made.
   */
  prepare(paths: readonly string[]): void {
    this.formatter.prepare(paths.map((path) => join(this.root, path)));
  }

  /** Starts formatting `text`, the whole of a file the plan creates at `path`. */
  ahead(path: string, text: string): void {
    const input: FormatInput = { kind: 'file', path, filepath: join(this.root, path), text };
    const outcome = this.formatter
      .format({ files: [input], known: [] })
      .then(([result]) => result ?? Promise.reject(new KitError(`${path}: not formatted`)));
    // Awaited only if the file keeps this text; a failure then surfaces there.
    outcome.catch(() => undefined);
    this.sent.set(path, { text, outcome });
  }

  /** The outcome of every input, in any order: sent ahead where the text is the same. */
  async format(files: FormatInput[], known: string[]): Promise<FormatOutcome[]> {
    const early: Promise<FormatOutcome>[] = [];
    const rest = files.filter((input) => {
      const sent = this.sent.get(input.path);
      const same =
        sent !== undefined &&
        input.kind === 'file' &&
        input.before === undefined &&
        sent.text === input.text;
      if (same) early.push(sent.outcome);
      return !same;
    });
    const [earlier, now] = await Promise.all([
      Promise.all(early),
      rest.length > 0 ? this.formatter.format({ files: rest, known }) : [],
    ]);
    return [...earlier, ...now];
  }

  /** Ends the formatter, once however often it is called; resolves once it has ended. */
  close(): Promise<void> {
    this.closing ??= this.formatter.close();
    return this.closing;
  }
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

export interface FormatOptions {
  /** Where texts known to be formatted are kept; the host's node_modules/.cache by default. */
  store?: CheckedStore;
  /** Prettier as the run opened it (see FormatRun); a new one by default. */
  run?: FormatRun;
}

/**
 * Formats every created or modified file with the host's prettier configuration.
 * TypeScript goes through prettier's `babel-ts` parser (see parserFor in
 * format-files.ts), so a file that does not parse fails here, naming the file and
 * the position, before anything is written.
 *
 * An existing file that an earlier run saw formatted gets only the code the plan
 * inserted formatted (see snippets.ts); only those pieces go to the formatting
 * thread. Any other file, or one whose pieces do not fit, is formatted whole, and
 * what that teaches about formatted texts goes into `store`. `run` carries what the
 * planning already sent; it is closed here.
 */
export async function formatChanges(
  root: string,
  changes: FileChange[],
  checks: CheckResult[],
  { store = fileCheckedStore(root), run = new FormatRun(root) }: FormatOptions = {},
): Promise<FileChange[]> {
  const known = store.read();
  const learned: string[] = [];
  const formatted = new Map<string, string>();
  const failures: (FormatOutcome & { ok: false })[] = [];
  const byPath = new Map(changes.map((change) => [change.path, change]));
  // Texts of large files are hashed once each: before the plan, as planned, after.
  const digests = new Map<string, string>();
  const digestOf = (text: string): string => {
    let digest = digests.get(text);
    if (digest === undefined) {
      digest = sha1(text);
      digests.set(text, digest);
    }
    return digest;
  };
  const whole = (change: FileChange, after: string): FormatInput => ({
    kind: 'file',
    path: change.path,
    filepath: join(root, change.path),
    text: after,
    // For a file the plan spliced: whether it was formatted before, for next time.
    ...(change.regions && change.before !== null ? { before: change.before } : {}),
  });
  const request: FormatInput[] = changes.flatMap((change): FormatInput[] => {
    if (change.after === null) return [];
    if (!change.regions || change.before === null) return [whole(change, change.after)];
    return [
      {
        kind: 'pieces',
        path: change.path,
        filepath: join(root, change.path),
        beforeDigest: digestOf(change.before),
        pieces: describePieces(change.after, change.regions),
      },
    ];
  });
  try {
    let replies: Promise<FormatOutcome[]> | undefined = run.format(request, known);
    // While the thread formats: the digest of each spliced file as planned, which is
    // its formatted text whenever the inserted code came formatted already. A large
    // file then costs no hashing once the formatting is back.
    for (const change of changes)
      if (change.regions && change.after !== null) digestOf(change.after);
    // At most two rounds: pieces first, then whole files for those that need it.
    while (replies) {
      const retry: FormatInput[] = [];
      for (const outcome of await replies) {
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
          failures.push(outcome);
          continue;
        }
        let after: string;
        if (outcome.kind === 'pieces') {
          after = spliceFormatted(change.after, change.regions ?? [], outcome.pieces);
        } else {
          after = outcome.after;
          if (outcome.beforeFormatted && change.before !== null)
            learned.push(checkedKey(outcome.optionsId, digestOf(change.before)));
        }
        learned.push(checkedKey(outcome.optionsId, digestOf(after)));
        formatted.set(outcome.path, after);
      }
      replies = retry.length > 0 ? run.format(retry, known) : undefined;
    }
  } finally {
    // Not awaited: the thread ends while the files are written (the run awaits it last).
    void run.close();
  }
  if (learned.some((key) => !known.includes(key))) {
    store.write([...new Set([...known, ...learned])].slice(-CHECKED_LIMIT));
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

// The formatting thread's entry (see format.ts): loads prettier, then formats what
// the main thread sends, each file with the host's configuration for it.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Plugin } from 'prettier';
import { prettierPlugin, savePluginCaches } from './prettier-plugins.js';
import { formatPiece, type Piece } from './snippets.js';

type Prettier = typeof import('prettier');

/** Marks the formatting thread (its `workerData`). */
export const FORMAT_THREAD = 'jobkit:format';

/**
 * A file to format: a new file's whole `text`, or the `pieces` of code the plan
 * inserted into an existing file (undefined where a region is kept as written; the
 * file itself stays on the main thread, so its size costs nothing here).
 */
export type FormatInput = { path: string; filepath: string } & (
  { kind: 'file'; text: string } | { kind: 'pieces'; pieces: (Piece | undefined)[] }
);

/** `pieces`: each formatted piece, undefined where the inserted code is kept as written. */
export type FormatOutcome = { path: string; durationMs: number } & (
  | { ok: true; kind: 'file'; after: string }
  | { ok: true; kind: 'pieces'; pieces: (string | undefined)[] }
  | { ok: false; reason: string; scope: 'file' | 'inserted code' }
  | { ok: false; reason: string; scope: 'config'; configFile: string | null }
);

export interface FormatRequest {
  id: number;
  files: FormatInput[];
}

/** The answer to the request of the same `id`. */
export type FormatReply = { id: number } & ({ outcomes: FormatOutcome[] } | { error: string });

/** No more requests: the thread answers `{ closed: true }` once what it started has settled. */
export interface CloseRequest {
  close: true;
}

/**
 * The line of a prettier error that says what is wrong: the first, except that its
 * configuration errors open with a line naming the file (`YAML Error in "…/.prettierrc":`).
 */
function errorReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const lines = error.message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const [first = '', second] = lines;
  const reason = /\bError in\b.*:$/.test(first) && second !== undefined ? second : first;
  return reason.replace(/:$/, '');
}

/**
 * TypeScript goes through prettier's `babel-ts` parser unless the configuration names
 * one: its output is prettier's `typescript` output (the same printer; identical on
 * every file of this repository and its generated jobs, and checked against random
 * answers by the property test), and its smaller plugin loads and parses cold code
 * faster (~60 ms less in a scripted run). Other files: prettier's choice by name.
 */
function parserFor(filepath: string): string | undefined {
  return /\.[cm]?ts$/.test(filepath) ? 'babel-ts' : undefined;
}

/**
 * Formats every input at once; the outcomes are in completion order. `plugins` go
 * before the configuration's own, which keep the last word.
 */
export async function formatAll(
  prettier: Prettier,
  files: readonly FormatInput[],
  plugins: Plugin[] = [],
): Promise<FormatOutcome[]> {
  // In the order of `files`, whichever finishes first: a run reports the same way each time.
  return Promise.all(
    files.map(async (input): Promise<FormatOutcome> => {
      const { path, filepath } = input;
      const started = performance.now();
      const durationMs = (): number => performance.now() - started;
      let resolved: Awaited<ReturnType<Prettier['resolveConfig']>>;
      try {
        resolved = await prettier.resolveConfig(filepath, { editorconfig: true });
      } catch (error) {
        const configFile = await prettier.resolveConfigFile(filepath).catch(() => null);
        return {
          path,
          ok: false,
          reason: errorReason(error),
          scope: 'config',
          configFile,
          durationMs: durationMs(),
        };
      }
      const options = {
        ...resolved,
        filepath,
        parser: resolved?.parser ?? parserFor(filepath),
        ...(plugins.length > 0 ? { plugins: [...plugins, ...(resolved?.plugins ?? [])] } : {}),
      };
      if (input.kind === 'file') {
        try {
          const after = await prettier.format(input.text, options);
          return { path, ok: true, kind: 'file', after, durationMs: durationMs() };
        } catch (error) {
          return {
            path,
            ok: false,
            reason: errorReason(error),
            scope: 'file',
            durationMs: durationMs(),
          };
        }
      }
      const tabWidth = resolved?.tabWidth ?? 2;
      const job = {
        format: (source: string, printWidth: number) =>
          prettier.format(source, { ...options, printWidth }),
        level: resolved?.useTabs ? '\t' : ' '.repeat(tabWidth),
        tabWidth,
        printWidth: resolved?.printWidth ?? 80,
        semi: resolved?.semi !== false,
      };
      try {
        const pieces = await Promise.all(
          input.pieces.map((piece) => (piece ? formatPiece(piece, job) : undefined)),
        );
        return { path, ok: true, kind: 'pieces', pieces, durationMs: durationMs() };
      } catch (error) {
        return {
          path,
          ok: false,
          reason: `${errorReason(error)} (in the code inserted into ${path})`,
          scope: 'inserted code',
          durationMs: durationMs(),
        };
      }
    }),
  );
}

/**
 * Loads prettier, then formats what it is sent. A `close` message is answered once
 * everything the thread started has settled: stopped with a file operation in flight
 * (prettier's own loading, a configuration lookup), Node 20 can abort the whole process.
 */
function serve(port: MessagePort): void {
  // Prettier's Babel parsers and estree printer, the same code as its built-in ones,
  // from the code cache (see prettier-plugins.ts).
  const ready = import('prettier').then((prettier) => ({
    prettier,
    plugins: [prettierPlugin<Plugin>('estree'), prettierPlugin<Plugin>('babel')],
  }));
  const inFlight = new Set<Promise<unknown>>([ready]);
  port.on('message', (message: FormatRequest | CloseRequest) => {
    if ('close' in message) {
      void Promise.allSettled(inFlight).then(() => port.postMessage({ closed: true }));
      return;
    }
    const { id, files } = message;
    const work = ready
      .then(async ({ prettier, plugins }) => {
        const outcomes = await formatAll(prettier, files, plugins);
        savePluginCaches();
        return { id, outcomes };
      })
      .then(
        (reply: FormatReply) => port.postMessage(reply),
        (error: unknown) =>
          port.postMessage({
            id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies FormatReply),
      );
    inFlight.add(work);
    void work.then(() => inFlight.delete(work));
  });
}

if (parentPort && workerData === FORMAT_THREAD) serve(parentPort);

// What the formatting thread (format-thread.ts) and the main thread (format.ts) share:
// the messages between them and the formatting itself, which runs in place when
// there is no thread.
import { createHash } from 'node:crypto';
import type { Plugin } from 'prettier';
import { formatPiece, type Piece } from './snippets.js';

type Prettier = typeof import('prettier');

/**
 * A file to format. `file`: the whole text (with the text before, when the run should
 * learn whether that was formatted). `pieces`: an existing file of which only the
 * inserted code is to be formatted, if the file before is known to be formatted; the
 * file itself stays on the main thread, so its size costs nothing here.
 */
export type FormatInput = { path: string; filepath: string } & (
  | { kind: 'file'; text: string; before?: string }
  | { kind: 'pieces'; beforeDigest: string; pieces: (Piece | undefined)[] }
);

/**
 * `file`: the formatted text. `pieces`: every piece formatted (undefined where none was
 * sent). `whole`: the pieces cannot be used (the file before is not known to be
 * formatted, or a piece does not fit); the file is to be sent whole.
 */
export type FormatOutcome = { path: string; durationMs: number } & (
  | { ok: true; optionsId: string; kind: 'file'; after: string; beforeFormatted: boolean }
  | { ok: true; optionsId: string; kind: 'pieces'; pieces: (string | undefined)[] }
  | { ok: true; optionsId: string; kind: 'whole' }
  | { ok: false; reason: string; scope: 'file' | 'inserted code' }
  | { ok: false; reason: string; scope: 'config'; configFile: string | null }
);

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

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/**
 * The name of a text known to parse and to be formatted under these options: the
 * same prettier and the same resolved configuration (`optionsId`), the same bytes
 * (`digest`, the text's SHA-1).
 */
export function checkedKey(optionsId: string, digest: string): string {
  return sha1(`${optionsId}\0${digest}`);
}

/**
 * Formats every file at once; the outcomes are in completion order. `plugins` go
 * before the configuration's own, which keep the last word.
 */
export async function formatAll(
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
      let resolved: Awaited<ReturnType<Prettier['resolveConfig']>>;
      try {
        resolved = await prettier.resolveConfig(filepath, { editorconfig: true });
      } catch (error) {
        const configFile = await prettier.resolveConfigFile(filepath).catch(() => null);
        outcomes.push({
          path,
          ok: false,
          reason: errorReason(error),
          scope: 'config',
          configFile,
          durationMs: durationMs(),
        });
        return;
      }
      resolved ??= {};
      try {
        const optionsId = `${prettier.version}\0${JSON.stringify(resolved)}`;
        const options = {
          ...resolved,
          filepath,
          parser: resolved.parser ?? parserFor(filepath),
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
            outcomes.push({
              path,
              ok: false,
              reason: `${errorReason(error)} (in the code inserted into ${path})`,
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
        outcomes.push({
          path,
          ok: false,
          reason: errorReason(error),
          scope: 'file',
          durationMs: durationMs(),
        });
      }
    }),
  );
  return outcomes;
}

/** Marks the formatting thread (its `workerData`). */
export const FORMAT_THREAD = 'jobkit:format';

export interface FormatRequest {
  files: FormatInput[];
  known: string[];
}

/** Files about to be formatted, whose configuration the thread can look up meanwhile. */
export interface PrepareRequest {
  prepare: string[];
}

/** No more requests: the thread answers `ClosedReply` once what it started has settled. */
export interface CloseRequest {
  close: true;
}

/** The thread has nothing in flight any more: stopping it now is safe. */
export interface ClosedReply {
  closed: true;
}

export type ThreadMessage = (FormatRequest & { id: number }) | PrepareRequest | CloseRequest;

/** The answer to the request of the same `id`. */
export type FormatReply = { id: number } & ({ outcomes: FormatOutcome[] } | { error: string });

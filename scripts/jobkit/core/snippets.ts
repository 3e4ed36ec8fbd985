import type { Region, RegionContext } from './tree.js';

/**
 * Formatting only what the plan inserted. An edit at an anchor adds a whole
 * statement, entry or class member at a boundary of an already formatted file, so
 * prettier's output for the whole file differs from the input only there: formatting
 * each inserted piece in a wrapper that reproduces its surroundings gives the same
 * text at a cost that does not grow with the file.
 */

/** The formatted text of a wrapped piece, or undefined if it no longer looks wrapped. */
type Unwrap = (formatted: string) => string | undefined;

interface Wrapped {
  source: string;
  unwrap: Unwrap;
}

const NAME = '__jobkit_wrapper__';

/** Lines between the wrapper's first and last line, when the formatted text has them. */
function inner(first: string, last: string): Unwrap {
  return (formatted) => {
    const lines = formatted.replace(/\n$/, '').split('\n');
    if (lines.length < 3 || lines[0] !== first || lines[lines.length - 1] !== last)
      return undefined;
    return lines.slice(1, -1).join('\n');
  };
}

function wrap(context: Exclude<RegionContext, 'literal'>, body: string, semi: boolean): Wrapped {
  const end = semi ? ';' : '';
  switch (context) {
    case 'statement':
      return { source: body, unwrap: (formatted) => formatted.replace(/\n$/, '') };
    case 'entry':
      return {
        source: `const ${NAME} = {\n${body}\n};\n`,
        unwrap: inner(`const ${NAME} = {`, `}${end}`),
      };
    case 'member':
      return { source: `class ${NAME} {\n${body}\n}\n`, unwrap: inner(`class ${NAME} {`, '}') };
    case 'block':
      return {
        source: `function ${NAME}() {\n${body}\n}\n`,
        unwrap: inner(`function ${NAME}() {`, '}'),
      };
  }
}

/** A region's text split into blank lines before, the code, and line breaks after. */
function split(text: string): { lead: string; body: string; trail: string } {
  const match = /^((?:[ \t]*\n)*)([\s\S]*?)((?:\n[ \t]*)*)$/.exec(text);
  return { lead: match?.[1] ?? '', body: match?.[2] ?? text, trail: match?.[3] ?? '' };
}

function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/**
 * What formatting one inserted piece needs to know, cut from the file on the thread
 * that holds it: the piece's code, its context, and the line before it (whose
 * indentation the piece must match, one level deeper when that line opens a block).
 * The file itself, which can be large, stays where it is.
 */
export interface Piece {
  context: Exclude<RegionContext, 'literal'>;
  body: string;
  /** Whether the code starts a line. */
  atLineStart: boolean;
  /** The indentation of the previous non-blank line. */
  previousIndent: string;
  /** Whether that line opens a block (ends with `{`, `[` or `(`). */
  previousOpens: boolean;
}

/** The previous non-blank line before `offset`, walked back line by line: files can be long. */
function previousLine(text: string, offset: number): string {
  let end = text.lastIndexOf('\n', offset - 1);
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    if (line.trim() !== '') return line;
    end = start - 1;
  }
  return '';
}

/**
 * The pieces of `text` to format, one per region that holds code (undefined for
 * literal text and blank regions, which are kept as they are).
 */
export function describePieces(text: string, regions: readonly Region[]): (Piece | undefined)[] {
  return regions.map((region) => {
    if (region.context === 'literal') return undefined;
    const { lead, body } = split(text.slice(region.start, region.end));
    if (body === '') return undefined;
    const where = region.start + lead.length;
    const previous = previousLine(text, where);
    return {
      context: region.context,
      body,
      atLineStart: where === 0 || text.charAt(where - 1) === '\n',
      previousIndent: indentOf(previous),
      previousOpens: /[{[(]\s*$/.test(previous),
    };
  });
}

export interface SnippetJob {
  /** Formats the wrapped source at this print width; rejects on a syntax error. */
  format: (source: string, printWidth: number) => Promise<string>;
  /** One level of indentation under the file's prettier options. */
  level: string;
  /** Columns a tab takes (prettier's `tabWidth`). */
  tabWidth: number;
  printWidth: number;
  /** Whether statements end with `;` (prettier's `semi`). */
  semi: boolean;
}

function columns(indent: string, tabWidth: number): number {
  return [...indent].reduce((sum, char) => sum + (char === '\t' ? tabWidth : 1), 0);
}

/**
 * A piece formatted in a wrapper that reproduces its surroundings, at the indentation
 * of its neighbours (one level deeper after a line that opens a block), with the
 * print width left at that depth. The host's own lines are not looked at beyond that:
 * they may not be formatted, and they stay as they are. Undefined when the piece is
 * kept as the kit wrote it: it does not start a line, the wrapper came back changed,
 * or moving it to its depth would move the lines of a template literal.
 */
export async function formatPiece(
  piece: Piece,
  { format, level, tabWidth, printWidth, semi }: SnippetJob,
): Promise<string | undefined> {
  if (!piece.atLineStart) return undefined;
  const base = piece.context === 'statement' ? '' : level;
  const target =
    piece.context === 'statement' ? '' : piece.previousIndent + (piece.previousOpens ? level : '');
  const extra = columns(target, tabWidth) - columns(base, tabWidth);
  const wrapped = wrap(piece.context, piece.body, semi);
  const formatted = wrapped.unwrap(await format(wrapped.source, printWidth - extra));
  if (formatted === undefined || target === base) return formatted;
  if (formatted.includes('`')) return undefined;
  return formatted
    .split('\n')
    .map((line) => (line.startsWith(base) && line !== '' ? target + line.slice(base.length) : line))
    .join('\n');
}

/**
 * `text` with each region's code replaced by its formatted piece (`formatted`, in
 * the order of `regions`; undefined for regions kept as they are).
 */
export function spliceFormatted(
  text: string,
  regions: readonly Region[],
  formatted: readonly (string | undefined)[],
): string {
  let result = text;
  for (let index = regions.length - 1; index >= 0; index -= 1) {
    const region = regions[index] as Region;
    const piece = formatted[index];
    if (piece === undefined) continue;
    const inserted = text.slice(region.start, region.end);
    const { lead, trail } = split(inserted);
    // As prettier prints a block: no blank line after its opening brace or before its
    // closing one.
    const opens = /[{[]\n$/.test(text.slice(0, region.start));
    const closes = /^[ \t]*[}\]]/.test(text.slice(region.end));
    const replacement =
      (opens ? '' : lead) + piece + (closes ? trail.replace(/^(\n?)[\s\S]*$/, '$1') : trail);
    // Code inserted formatted already leaves the text as it is, not copied: the file
    // may be large.
    if (replacement === inserted) continue;
    result = result.slice(0, region.start) + replacement + result.slice(region.end);
  }
  return result;
}

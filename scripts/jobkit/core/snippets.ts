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
 * The indentation code inserted at `offset` must have: that of the previous
 * non-blank line, one level deeper when that line opens a block.
 */
function expectedIndent(text: string, offset: number, level: string): string {
  // Walked back line by line from the region: files can be long.
  let end = text.lastIndexOf('\n', offset - 1);
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    if (line.trim() !== '') return /[{[(]\s*$/.test(line) ? indentOf(line) + level : indentOf(line);
    end = start - 1;
  }
  return '';
}

export interface SnippetJob {
  /** Formats the wrapped source; rejects on a syntax error. */
  format: (source: string) => Promise<string>;
  /** One level of indentation under the file's prettier options. */
  level: string;
  /** Whether statements end with `;` (prettier's `semi`). */
  semi: boolean;
}

/**
 * `text` with every region formatted on its own. Undefined when a formatted piece
 * does not fit where it goes (its indentation differs from its neighbours', or a
 * wrapper came back changed): the caller then formats the whole file instead.
 */
export async function formatRegions(
  text: string,
  regions: readonly Region[],
  { format, level, semi }: SnippetJob,
): Promise<string | undefined> {
  const pieces = await Promise.all(
    regions.map(async (region) => {
      if (region.context === 'literal') return text.slice(region.start, region.end);
      const { lead, body, trail } = split(text.slice(region.start, region.end));
      if (body === '') return lead + trail;
      const wrapped = wrap(region.context, body, semi);
      const formatted = wrapped.unwrap(await format(wrapped.source));
      if (formatted === undefined) return undefined;
      const firstLine = formatted.split('\n')[0] ?? '';
      const where = region.start + lead.length;
      const atLineStart = where === 0 || text.charAt(where - 1) === '\n';
      if (
        !atLineStart ||
        indentOf(firstLine) !==
          expectedIndent(text, where, region.context === 'statement' ? '' : level)
      ) {
        return undefined;
      }
      return lead + formatted + trail;
    }),
  );
  if (pieces.some((piece) => piece === undefined)) return undefined;
  let result = text;
  for (let index = regions.length - 1; index >= 0; index -= 1) {
    const region = regions[index] as Region;
    result = result.slice(0, region.start) + (pieces[index] as string) + result.slice(region.end);
  }
  return result;
}

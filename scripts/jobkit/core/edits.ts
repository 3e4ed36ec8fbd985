import { AnchorError } from './errors.js';
import { codeOf } from './scan.js';

/**
 * A place in a file that must be found exactly once: no match means the file is
 * not shaped as expected, several mean the place is ambiguous, and either way the
 * kit stops rather than guess. It is looked for in the file's code only (see
 * codeOf): text in comments, strings and template literals never matches.
 */
export interface Anchor {
  /** What the pattern looks for, in words, e.g. "the QUEUE_NAMES object's closing `} as const;`". */
  description: string;
  /**
   * Without the `g` flag, matched against the file's code (comments and the
   * contents of literals blanked), so it sees code tokens and their layout only.
   */
  pattern?: RegExp;
  /** Instead of a pattern: the spans `[start, end]` where the place is, read from the file. */
  find?: (source: string) => [number, number][];
  /** Insert before the match or after it. */
  position: 'before' | 'after';
  /** Place the text relative to this capture group instead of the whole match. */
  group?: number;
  /** What to do when the anchor is not found, e.g. the configuration key that moves it. */
  hint?: string;
  /**
   * With `position: 'before'` and a pattern that matches from a line's start: the
   * place moves up over the comments on the lines right above (`//` lines, `/* … *\/`
   * blocks on lines of their own), so new code goes above a method's doc comment.
   * Walked back from the match, as a pattern that took in the comments would retry
   * them from every line of every comment in the file.
   */
  leadingComments?: boolean;
}

const LINE_COMMENT = /^[ \t]*\/\//;
const BLOCK_COMMENT_END = /\*\/[ \t]*$/;

/** The start of the comment lines directly above the line starting at `lineStart`. */
function aboveLeadingComments(source: string, lineStart: number): number {
  let start = lineStart;
  while (start > 0) {
    const previousEnd = start - 1;
    const previousStart = source.lastIndexOf('\n', previousEnd - 1) + 1;
    const previous = source.slice(previousStart, previousEnd);
    if (LINE_COMMENT.test(previous)) {
      start = previousStart;
      continue;
    }
    if (!BLOCK_COMMENT_END.test(previous)) break;
    // A block that ends on this line: it opens at the nearest `/*` before, which must
    // stand at the start of its line and close at this very `*/`.
    const close = previousStart + previous.lastIndexOf('*/');
    const open = source.lastIndexOf('/*', close - 1);
    if (open === -1 || source.indexOf('*/', open + 2) !== close) break;
    const openLineStart = source.lastIndexOf('\n', open - 1) + 1;
    if (source.slice(openLineStart, open).trim() !== '') break;
    start = openLineStart;
  }
  return start;
}

function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i += 1) if (source.charCodeAt(i) === 10) line += 1;
  return line;
}

/** The spans where `anchor` matches `source`: in its code, and at the group when it names one. */
function matchesOf(source: string, anchor: Anchor): [number, number][] {
  if (anchor.find) return anchor.find(source);
  const pattern = anchor.pattern as RegExp;
  // `d` records where capture groups matched, for anchors placed at a group.
  const flags = new Set([...pattern.flags, 'g', 'd']);
  return [...codeOf(source).matchAll(new RegExp(pattern.source, [...flags].join('')))].map(
    (match): [number, number] =>
      (anchor.group === undefined ? undefined : match.indices?.[anchor.group]) ?? [
        match.index,
        match.index + match[0].length,
      ],
  );
}

function describe(anchor: Anchor): string {
  return anchor.pattern
    ? `${anchor.description} (pattern /${anchor.pattern.source}/)`
    : anchor.description;
}

/**
 * The offset where text goes for the first of `anchors` that matches at all. That
 * one must match exactly once.
 */
export function locateAnchor(
  file: string,
  source: string,
  anchors: Anchor | readonly Anchor[],
): number {
  const candidates = Array.isArray(anchors) ? anchors : [anchors as Anchor];
  for (const anchor of candidates) {
    const matches = matchesOf(source, anchor);
    if (matches.length === 0) continue;
    if (matches.length > 1) {
      const lines = matches.map(([start]) => lineOf(source, start));
      throw new AnchorError(
        `${file}:${lines[0]}: ${anchor.description} matches ${matches.length} places (lines ${lines.join(', ')}); the kit needs exactly one to know where the new code goes${anchor.pattern ? ` (pattern /${anchor.pattern.source}/)` : ''}`,
        file,
      );
    }
    const [[start, end]] = matches as [[number, number]];
    if (anchor.position === 'after') return end;
    return anchor.leadingComments ? aboveLeadingComments(source, start) : start;
  }
  const wanted = candidates.map(describe).join(' or ');
  const hints = candidates.flatMap((anchor) => (anchor.hint ? [anchor.hint] : []));
  throw new AnchorError(
    `${file}: found no ${wanted} in its ${lineOf(source, source.length)} lines; the kit needs exactly one to know where the new code goes${hints.length > 0 ? `. ${hints.join('. ')}` : ''}`,
    file,
  );
}

/**
 * Whether `line` is already a line of code in `source`, compared literally
 * (ignoring surrounding spaces); a line inside a comment or a literal does not count.
 */
export function hasLine(source: string, line: string): boolean {
  const wanted = line.trim();
  if (wanted === '') return source.split('\n').some((existing) => existing.trim() === '');
  const code = codeOf(source);
  // Found by search rather than by splitting the file: files can be long.
  for (let at = source.indexOf(wanted); at !== -1; at = source.indexOf(wanted, at + 1)) {
    const lineStart = source.lastIndexOf('\n', at - 1) + 1;
    const lineEnd = source.indexOf('\n', at + wanted.length);
    const before = source.slice(lineStart, at);
    const after = source.slice(at + wanted.length, lineEnd === -1 ? source.length : lineEnd);
    if (before.trim() === '' && after.trim() === '' && code.charAt(at) === wanted.charAt(0))
      return true;
  }
  return false;
}

/** The edit that appends `text` to `source` on lines of its own. */
export function appendEdit(source: string, text: string): Edit {
  const separator = source.length === 0 || source.endsWith('\n') ? '' : '\n';
  return {
    start: source.length,
    end: source.length,
    text: separator + (text.endsWith('\n') ? text : `${text}\n`),
  };
}

/** A replacement of `[start, end)` of a file's text by `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * The edits that insert a new entry before `offset` in an object or list: the entry
 * on a line of its own and, when the entry before has no trailing comma (prettier's
 * `trailingComma: "none"`), that comma.
 */
export function entryEdits(
  source: string,
  offset: number,
  entry: string,
): { comma?: Edit; entry: Edit } {
  // Walked back in the code, where comments are blank: the comma goes after the
  // entry itself, never after a comment that follows it.
  const code = codeOf(source);
  let end = offset;
  while (end > 0 && /\s/.test(code.charAt(end - 1))) end -= 1;
  const previous = code.charAt(end - 1);
  const needsComma = end > 0 && previous !== ',' && previous !== '{' && previous !== '[';
  // On a line of its own: prettier keeps an object expanded only if its first
  // entry starts on a new line, and `{}` has none yet.
  const startsLine = source.charAt(offset - 1) === '\n' || /^\n/.test(entry);
  const text = `${startsLine ? '' : '\n'}${entry}${entry.endsWith('\n') ? '' : '\n'}`;
  return {
    ...(needsComma ? { comma: { start: end, end, text: ',' } } : {}),
    entry: { start: offset, end: offset, text },
  };
}

/** Removes the first line equal to `line` (ignoring surrounding spaces); undefined if absent. */
export function removeLine(source: string, line: string): string | undefined {
  const lines = source.split('\n');
  const index = lines.findIndex((existing) => existing.trim() === line.trim());
  if (index === -1) return undefined;
  lines.splice(index, 1);
  return lines.join('\n');
}

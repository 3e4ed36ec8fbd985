/**
 * TypeScript's lexical grammar, as far as placing code needs it: where comments,
 * string literals, template literals and regular expressions are. `codeOf` gives a
 * file's text with all of those blanked out (same length, line breaks kept), so
 * anything searched for in it is code, at the offset it has in the file. A scan is
 * one pass over the characters: files with a thousand jobs cost a few milliseconds,
 * where a full parse would cost hundreds (see README, "Anchors").
 */

const SLASH = 0x2f;
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const BACKTICK = 0x60;
const DOLLAR = 0x24;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_PAREN = 0x29;
const LF = 0x0a;
const CR = 0x0d;

function isLineBreak(code: number): boolean {
  return code === LF || code === CR || code === 0x2028 || code === 0x2029;
}

function isWordChar(code: number): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x30 && code <= 0x39) ||
    code === 0x5f ||
    code === DOLLAR ||
    code > 0x7f
  );
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0b || code === 0x0c || code === 0xa0;
}

/** Words after which `/` starts a regular expression rather than a division. */
const BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

/**
 * What the scan carries from one token to the next, at the start of a line: brace
 * depth, the depth at which each open `${` of a template began, and whether a `/`
 * there would divide (the word before it, if any, already decided).
 */
interface ScanState {
  depth: number;
  substitutions: number[];
  afterOperand: boolean;
}

/** A line start the scan reached between tokens (see scanText), with its state there. */
interface Checkpoint extends ScanState {
  at: number;
}

/** How far apart checkpoints are: what a rescan after an edit covers, at most, either side. */
const CHECKPOINT_EVERY = 2048;

/** Where a rescan after an edit can stop: at a checkpoint of the old scan, in step with it. */
interface Resync {
  /** Old checkpoints; one at `at` lies at `at + shift` in the new text. */
  checkpoints: readonly Checkpoint[];
  shift: number;
  /** The end of the inserted text in the new text: no stop before it. */
  from: number;
}

interface Scan {
  /** Spans `[start, end)` of the text that is not code, as a flat list of pairs. */
  spans: number[];
  checkpoints: Checkpoint[];
  /** Where the scan stopped: the text's length, or where it came back in step (see Resync). */
  end: number;
}

function sameState(a: ScanState, b: ScanState): boolean {
  return (
    a.depth === b.depth &&
    a.afterOperand === b.afterOperand &&
    a.substitutions.length === b.substitutions.length &&
    a.substitutions.every((depth, index) => depth === b.substitutions[index])
  );
}

/**
 * Scans `source` from `start` in `state`: the text's start, or a checkpoint of an
 * earlier scan of a text that is the same up to it. A checkpoint is a line start
 * that no token before it read past (only a `/` that is no regular expression reads
 * on, and only after a backslash across a line break), so the scan from there is the
 * one a scan from the start would make. With `resync`, the scan stops at a line start
 * after the edit where the old scan had a checkpoint in the same state: from there on
 * both read the same text in the same state.
 */
function scanText(
  source: string,
  start = 0,
  state: ScanState = { depth: 0, substitutions: [], afterOperand: false },
  resync?: Resync,
): Scan {
  const spans: number[] = [];
  const checkpoints: Checkpoint[] = [];
  const length = source.length;
  let depth = state.depth;
  const substitutions = [...state.substitutions];
  // Whether the last token ends an operand, after which `/` divides. After a word,
  // that depends on the word, looked at only when a `/` follows (words are many).
  let afterOperand = state.afterOperand;
  let wordStart = -1;
  let wordEnd = -1;
  // How far a `/` that turned out not to start a regular expression read: past a line
  // break only after a backslash, and a line start it read past is no checkpoint.
  let peeked = -1;
  let i = start;
  let nextCheckpoint = start;
  let old = 0;
  // The next line start that needs a look: a checkpoint to take, or one to compare.
  let watch = start;

  /** At the line start `i`: takes a checkpoint when due; true when back in step. */
  const lineStart = (): boolean => {
    if (wordEnd !== -1) afterOperand = !BEFORE_EXPRESSION.has(source.slice(wordStart, wordEnd));
    wordEnd = -1;
    if (i >= nextCheckpoint && peeked < i) {
      checkpoints.push({ at: i, depth, substitutions: [...substitutions], afterOperand });
      nextCheckpoint = i + CHECKPOINT_EVERY;
    }
    watch = nextCheckpoint;
    if (resync === undefined) return false;
    const { checkpoints: before, shift, from } = resync;
    while (old < before.length && (before[old] as Checkpoint).at + shift < Math.max(i, from))
      old += 1;
    const candidate = before[old];
    if (candidate === undefined) return false;
    if (candidate.at + shift === i && sameState(candidate, { depth, substitutions, afterOperand }))
      return true;
    watch = Math.min(watch, candidate.at + shift + (candidate.at + shift === i ? 1 : 0));
    return false;
  };

  /** Scans template text from `from` up to its end or its next `${`; returns where code resumes. */
  const templateText = (from: number): number => {
    let j = from;
    while (j < length) {
      const code = source.charCodeAt(j);
      if (code === BACKSLASH) j += 2;
      else if (code === BACKTICK) {
        spans.push(from, j);
        afterOperand = true;
        return j + 1;
      } else if (code === DOLLAR && source.charCodeAt(j + 1) === OPEN_BRACE) {
        // `${` is blanked with the text; its closing `}` is blanked when reached.
        spans.push(from, j + 2);
        substitutions.push(depth);
        afterOperand = false;
        return j + 2;
      } else j += 1;
    }
    spans.push(from, length);
    return length;
  };

  if (lineStart()) return { spans, checkpoints, end: i };
  while (i < length) {
    const code = source.charCodeAt(i);
    if (code === SLASH) {
      const next = source.charCodeAt(i + 1);
      if (next === SLASH) {
        let end = i + 2;
        while (end < length && !isLineBreak(source.charCodeAt(end))) end += 1;
        spans.push(i, end);
        i = end;
        continue;
      }
      if (next === STAR) {
        const close = source.indexOf('*/', i + 2);
        const end = close === -1 ? length : close + 2;
        spans.push(i, end);
        i = end;
        continue;
      }
      if (wordEnd !== -1) afterOperand = !BEFORE_EXPRESSION.has(source.slice(wordStart, wordEnd));
      wordEnd = -1;
      if (!afterOperand) {
        // A regular expression: up to the `/` outside a character class.
        let j = i + 1;
        let inClass = false;
        while (j < length) {
          const c = source.charCodeAt(j);
          if (c === BACKSLASH) j += 2;
          else if (isLineBreak(c)) break;
          else if (c === OPEN_BRACKET) ((inClass = true), (j += 1));
          else if (c === CLOSE_BRACKET) ((inClass = false), (j += 1));
          else if (c === SLASH && !inClass) break;
          else j += 1;
        }
        if (j < length && source.charCodeAt(j) === SLASH) {
          spans.push(i + 1, j);
          i = j + 1;
          while (i < length && isWordChar(source.charCodeAt(i))) i += 1;
          afterOperand = true;
          continue;
        }
        peeked = j;
      }
      afterOperand = false;
      i += 1;
      continue;
    }
    if (code === LF) {
      i += 1;
      if (i >= watch && lineStart()) return { spans, checkpoints, end: i };
      continue;
    }
    if (isSpace(code) || isLineBreak(code)) {
      i += 1;
      continue;
    }
    // Any token but a word: the word before it no longer decides what `/` means.
    wordEnd = -1;
    if (code === 0x27 || code === 0x22) {
      let j = i + 1;
      while (j < length) {
        const c = source.charCodeAt(j);
        if (c === BACKSLASH) j += 2;
        else if (c === code || c === LF || c === CR) break;
        else j += 1;
      }
      spans.push(i + 1, Math.min(j, length));
      i = j + 1;
      afterOperand = true;
      continue;
    }
    if (code === BACKTICK) {
      i = templateText(i + 1);
      continue;
    }
    if (code === OPEN_BRACE) {
      depth += 1;
      afterOperand = false;
      i += 1;
      continue;
    }
    if (code === CLOSE_BRACE) {
      if (substitutions.length > 0 && substitutions[substitutions.length - 1] === depth) {
        substitutions.pop();
        spans.push(i, i + 1);
        i = templateText(i + 1);
        continue;
      }
      depth -= 1;
      // A block may end here as well as an object: after either, `/` is taken as
      // the start of a regular expression (a division by an object literal is rare).
      afterOperand = false;
      i += 1;
      continue;
    }
    if (isWordChar(code)) {
      wordStart = i;
      while (i < length && isWordChar(source.charCodeAt(i))) i += 1;
      wordEnd = i;
      continue;
    }
    afterOperand = code === CLOSE_PAREN || code === CLOSE_BRACKET;
    i += 1;
  }
  return { spans, checkpoints, end: length };
}

/** `source.slice(from, to)` with `spans` (offsets in `source`) blanked, line breaks kept. */
function blank(source: string, spans: readonly number[], from = 0, to = source.length): string {
  // Blanked in a UTF-16 copy: one pass over the characters, no string per span.
  const units = Buffer.from(source.slice(from, to), 'utf16le');
  for (let index = 0; index < spans.length; index += 2) {
    const end = Math.min(spans[index + 1] as number, to);
    for (let at = spans[index] as number; at < end; at += 1) {
      if (isLineBreak(source.charCodeAt(at))) continue;
      units[2 * (at - from)] = 0x20;
      units[2 * (at - from) + 1] = 0;
    }
  }
  return units.toString('utf16le');
}

interface Scanned {
  code: string;
  checkpoints: Checkpoint[];
}

const recent = new Map<string, Scanned>();

/** Keeps the last few texts scanned: the same texts are scanned by several steps of a run. */
function remember(source: string, scanned: Scanned): Scanned {
  recent.delete(source);
  if (recent.size >= 8) recent.delete(recent.keys().next().value as string);
  recent.set(source, scanned);
  return scanned;
}

/** `codeOf` without the cache: a scan of the whole text. */
export function scanCode(source: string): string {
  const { spans } = scanText(source);
  return blank(source, spans);
}

/**
 * `source` with comments, and the contents of string literals, template literals
 * and regular expressions, replaced by spaces; quotes, backticks and line breaks
 * stay, and so does every offset. A template's `${ … }` code stays code.
 */
export function codeOf(source: string): string {
  const known = recent.get(source);
  if (known !== undefined) return known.code;
  const { spans, checkpoints } = scanText(source);
  return remember(source, { code: blank(source, spans), checkpoints }).code;
}

/**
 * The code of `after`, which is `before` with `[start, end)` replaced by `text`, when
 * `before` was scanned lately (else undefined); kept for codeOf. Only the lines
 * around the edit are scanned again: from the checkpoint before it until the scan is
 * back in step with the old one, which is most often the next checkpoint after it.
 */
export function codeAfterSplice(
  before: string,
  start: number,
  end: number,
  text: string,
  after: string,
): string | undefined {
  const known = recent.get(before);
  if (known === undefined) return undefined;
  const { checkpoints } = known;
  let index = 0;
  while (index + 1 < checkpoints.length && (checkpoints[index + 1] as Checkpoint).at <= start)
    index += 1;
  const from = checkpoints[index] as Checkpoint;
  const shift = text.length - (end - start);
  const rescan = scanText(after, from.at, from, {
    checkpoints: checkpoints.slice(index + 1),
    shift,
    from: start + text.length,
  });
  const resumed = rescan.end - shift;
  let code = known.code.slice(0, from.at) + blank(after, rescan.spans, from.at, rescan.end);
  const kept = checkpoints.slice(0, index);
  kept.push(...rescan.checkpoints);
  if (rescan.end < after.length) {
    code += known.code.slice(resumed);
    for (const checkpoint of checkpoints)
      if (checkpoint.at > resumed) kept.push({ ...checkpoint, at: checkpoint.at + shift });
  }
  return remember(after, { code, checkpoints: kept }).code;
}

/**
 * The offset of the bracket closing the one at `open` in `code` (a text from
 * `codeOf`, where every bracket left is code), or -1 when it is never closed.
 */
export function closingBracket(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i += 1) {
    const char = code.charCodeAt(i);
    if (char === OPEN_BRACE || char === OPEN_BRACKET || char === 0x28) depth += 1;
    else if (char === CLOSE_BRACE || char === CLOSE_BRACKET || char === CLOSE_PAREN) {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1))
    line += 1;
  return line;
}

/** `\r\n` when the file's first line ends so, else `\n`: what lines the kit adds end with. */
export function lineEndingOf(text: string): '\n' | '\r\n' {
  const first = text.indexOf('\n');
  return first > 0 && text.charCodeAt(first - 1) === CR ? '\r\n' : '\n';
}

/**
 * `after` with the line endings of `before` when every line of `before` ends with
 * `\r\n`: the lines the kit inserted (and any a formatter turned to `\n`) end as the
 * file's own do. A file with mixed endings is left as it comes.
 */
export function keepLineEndings(before: string, after: string): string {
  if (lineEndingOf(before) !== '\r\n' || /(?:^|[^\r])\n/.test(before)) return after;
  return after.replace(/\r?\n/g, '\r\n');
}

import { AnchorError } from './errors.js';
import type { Edit } from './edits.js';
import type { RegionContext } from './tree.js';

/** A named import: `name`, or `type name` when only its type is used. */
export interface ImportName {
  name: string;
  typeOnly: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `import { a, type B } from 'module';` (or `import type { … }`), on one line or several. */
function namedImportsFrom(module: string): RegExp {
  return new RegExp(
    String.raw`^import\s+(type\s+)?\{([^}]*)\}\s*from\s*(['"])${escapeRegExp(module)}\3[ \t]*;?`,
    'gm',
  );
}

/** Any import declaration, ending on the line that closes its module string. */
const IMPORT_DECLARATION = /^import\b[\s\S]*?['"][ \t]*;?[ \t]*$/gm;

interface Specifier {
  text: string;
  /** The name it binds in this file. */
  local: string;
}

function parseSpecifiers(list: string, statementIsTypeOnly: boolean): Specifier[] {
  return list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const text = statementIsTypeOnly && !part.startsWith('type ') ? `type ${part}` : part;
      // Most specifiers are a bare name; an import of a thousand jobs has thousands.
      if (!/\s/.test(text)) return { text, local: text };
      const local =
        text
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)
          .pop() ?? text;
      return { text, local: local.trim() };
    });
}

function printImport(specifiers: Specifier[], quote: string, module: string): string {
  const allTypes = specifiers.every((specifier) => specifier.text.startsWith('type '));
  const list = specifiers
    .map((specifier) => (allTypes ? specifier.text.replace(/^type\s+/, '') : specifier.text))
    .join(', ');
  return `import ${allTypes ? 'type ' : ''}{ ${list} } from ${quote}${module}${quote};`;
}

function toSpecifier({ name, typeOnly }: ImportName): Specifier {
  return { text: typeOnly ? `type ${name}` : name, local: name };
}

/** The offset just after the file's last import declaration, or 0 when it has none. */
export function afterLastImport(source: string): number {
  let end = 0;
  for (const match of source.matchAll(IMPORT_DECLARATION)) end = match.index + match[0].length;
  return end;
}

/** The edit putting `line` on its own line after the last import declaration. */
export function importLineEdit(source: string, line: string): Edit {
  const offset = afterLastImport(source);
  return offset === 0
    ? { start: 0, end: 0, text: `${line}\n` }
    : { start: offset, end: offset, text: `\n${line}` };
}

/** An edit, with where its text sits (see VirtualTree.splice). */
export interface ContextEdit extends Edit {
  context: RegionContext;
}

/**
 * New specifier lines at the end of an import already laid out one specifier per
 * line (as prettier lays out one too long for a line): in the file's own indentation
 * and with its trailing-comma style, so they need no formatting, however long the
 * list. Undefined when the import is laid out otherwise.
 */
function appendSpecifierLines(
  source: string,
  statement: { index: number; text: string },
  added: readonly Specifier[],
): ContextEdit[] | undefined {
  const close = statement.index + statement.text.lastIndexOf('}');
  const closeLineStart = source.lastIndexOf('\n', close - 1) + 1;
  if (source.slice(closeLineStart, close).trim() !== '') return undefined;
  const lastLineStart = source.lastIndexOf('\n', closeLineStart - 2) + 1;
  const lastLine = source.slice(lastLineStart, closeLineStart - 1);
  if (
    lastLineStart <= statement.index ||
    !/^[ \t]+(type\s+)?[\w$]+(\s+as\s+[\w$]+)?,?[ \t]*$/.test(lastLine)
  ) {
    return undefined;
  }
  const indent = /^[ \t]*/.exec(lastLine)?.[0] ?? '';
  const trailingComma = /,[ \t]*$/.test(lastLine);
  const text = added
    .map(
      (specifier, index) =>
        `${indent}${specifier.text}${index < added.length - 1 || trailingComma ? ',' : ''}\n`,
    )
    .join('');
  const edits: ContextEdit[] = [
    { start: closeLineStart, end: closeLineStart, text, context: 'literal' },
  ];
  if (!trailingComma) {
    const end = lastLineStart + lastLine.trimEnd().length;
    edits.push({ start: end, end, text: ',', context: 'literal' });
  }
  return edits;
}

/**
 * Specifiers of an import's list with their offsets in `source` (`at` is where the
 * list starts): where a name can be added or taken out without touching the rest.
 */
function specifierSpans(list: string, at: number): { start: number; end: number; local: string }[] {
  const spans: { start: number; end: number; local: string }[] = [];
  let offset = 0;
  for (const part of list.split(',')) {
    const lead = part.length - part.trimStart().length;
    const text = part.trim();
    if (text !== '') {
      const local =
        text
          .split(/\s+as\s+/)
          .pop()
          ?.replace(/^type\s+/, '') ?? text;
      spans.push({ start: at + offset + lead, end: at + offset + lead + text.length, local });
    }
    offset += part.length + 1;
  }
  return spans;
}

/**
 * Whether an import is laid out as the kit prints one (`import { a, b } from 'x';`)
 * or one name per line: the layouts prettier gives it, so the whole statement can be
 * formatted again. Any other layout is the host's own, and keeps it.
 */
function inPrettierLayout(
  statement: string,
  specifiers: Specifier[],
  quote: string,
  module: string,
): boolean {
  return (
    statement === printImport(specifiers, quote, module) ||
    /^import\s+(type\s+)?\{\n([ \t]+[^\n,]+,\n)*[ \t]+[^\n,]+,?\n\} from (['"])[^'"\n]+\3;$/.test(
      statement,
    )
  );
}

/**
 * `names` added to an import in the host's own layout: after its last name, with the
 * separator its list uses, and nothing else of the statement changed.
 */
function insertSpecifiers(
  source: string,
  listStart: number,
  list: string,
  added: readonly Specifier[],
): ContextEdit[] | undefined {
  const spans = specifierSpans(list, listStart);
  const last = spans[spans.length - 1];
  if (!last) return undefined;
  const first = spans[0] as (typeof spans)[number];
  const separator = spans.length > 1 ? source.slice(first.end, spans[1]?.start) : ', ';
  const text = added.map((specifier) => `${separator}${specifier.text}`).join('');
  return [{ start: last.end, end: last.end, text, context: 'literal' }];
}

/**
 * The edits that add `names` to the file's named import from `module`, or add that
 * import after the last one (none when every name is imported already), later
 * offsets first. Two value imports from the same module make the target ambiguous,
 * which is an error.
 */
export function namedImportsEdits(
  file: string,
  source: string,
  module: string,
  names: readonly ImportName[],
): ContextEdit[] {
  const matches = [...source.matchAll(namedImportsFrom(module))];
  const valueImports = matches.filter((match) => !match[1]);
  const target =
    valueImports.length === 1
      ? valueImports[0]
      : valueImports.length === 0
        ? matches[0]
        : undefined;
  if (matches.length > 0 && !target) {
    const lines = valueImports
      .map((match) => source.slice(0, match.index).split('\n').length)
      .join(', ');
    throw new AnchorError(
      `${file}: ${valueImports.length} imports from '${module}' (lines ${lines}); merge them into one so the kit knows where to add names`,
      file,
    );
  }
  if (!target) {
    return [
      {
        ...importLineEdit(source, printImport(names.map(toSpecifier), "'", module)),
        context: 'statement',
      },
    ];
  }
  const typeOnlyStatement = Boolean(target[1]);
  const list = target[2] ?? '';
  // The import of a host with a thousand jobs lists thousands of names: they are
  // parsed only when a name to add occurs in the list, or when the import is rewritten.
  const listed = names.some((name) => list.includes(name.name))
    ? parseSpecifiers(list, typeOnlyStatement)
    : undefined;
  const missing = names.filter(
    (name) => !listed?.some((specifier) => specifier.local === name.name),
  );
  if (missing.length === 0) return [];
  const added = missing.map(toSpecifier).map((specifier) =>
    // In `import type { … }` every name is a type already.
    typeOnlyStatement ? { ...specifier, text: specifier.text.replace(/^type\s+/, '') } : specifier,
  );
  const fitsStatement = !typeOnlyStatement || missing.every((name) => name.typeOnly);
  const appended =
    target[0].includes('\n') && fitsStatement
      ? appendSpecifierLines(source, { index: target.index, text: target[0] }, added)
      : undefined;
  if (appended) return appended;
  const specifiers = listed ?? parseSpecifiers(list, typeOnlyStatement);
  const quote = target[3] ?? "'";
  const statement = target[0].replace(/[ \t]+$/, '');
  if (fitsStatement && !inPrettierLayout(statement, specifiers, quote, module)) {
    const listStart = target.index + target[0].indexOf('{') + 1;
    const inserted = insertSpecifiers(source, listStart, list, added);
    if (inserted) return inserted;
  }
  const merged = printImport([...specifiers, ...missing.map(toSpecifier)], quote, module);
  return [
    {
      start: target.index,
      end: target.index + target[0].length,
      text: merged,
      context: 'statement',
    },
  ];
}

/**
 * Removes `names` from the file's imports from `module`, and an import left empty.
 * Returns undefined when a name is not imported from there (the file has changed).
 */
export function removeNamedImports(
  source: string,
  module: string,
  names: readonly string[],
): string | undefined {
  let result = source;
  const remaining = new Set(names);
  for (const match of [...source.matchAll(namedImportsFrom(module))].reverse()) {
    const specifiers = parseSpecifiers(match[2] ?? '', Boolean(match[1]));
    const kept = specifiers.filter((specifier) => !remaining.has(specifier.local));
    if (kept.length === specifiers.length) continue;
    for (const specifier of specifiers) remaining.delete(specifier.local);
    const start = match.index;
    const end = start + match[0].length;
    const quote = match[3] ?? "'";
    if (
      kept.length > 0 &&
      !inPrettierLayout(match[0].replace(/[ \t]+$/, ''), specifiers, quote, module)
    ) {
      // The host's own layout: each name taken out with the separator before it (after
      // it, for the first), as a name was added.
      const listStart = start + match[0].indexOf('{') + 1;
      const spans = specifierSpans(match[2] ?? '', listStart);
      for (let index = spans.length - 1; index >= 0; index -= 1) {
        const span = spans[index] as (typeof spans)[number];
        if (!names.includes(span.local)) continue;
        const from = index > 0 ? (spans[index - 1] as (typeof spans)[number]).end : span.start;
        const to = index > 0 ? span.end : (spans[index + 1]?.start ?? span.end);
        result = result.slice(0, from) + result.slice(to);
        spans.splice(index, 1);
      }
    } else if (kept.length > 0) {
      result = result.slice(0, start) + printImport(kept, quote, module) + result.slice(end);
    } else {
      const lineEnd = result.charAt(end) === '\n' ? end + 1 : end;
      result = result.slice(0, start) + result.slice(lineEnd);
    }
  }
  return remaining.size === 0 ? result : undefined;
}

import { AnchorError } from './errors.js';
import { codeOf, lineAt } from './scan.js';
import type { Edit } from './edits.js';
import type { RegionContext } from './tree.js';

/** A named import: `name`, or `type name` when only its type is used. */
export interface ImportName {
  name: string;
  typeOnly: boolean;
}

/** An import declaration of the file, found in its code. */
export interface ImportDeclaration {
  /** The statement, from `import` to its `;` (or the module string without one). */
  start: number;
  end: number;
  /** The module specifier's value. */
  module: string;
  /** For `import { … } from` and `import type { … } from`: the text between the braces. */
  named?: { typeOnly: boolean; start: number; end: number };
}

/** An import declaration in code: up to the closing quote of its module string. */
const IMPORT_DECLARATION = /^import(?![\w$])(?!\s*[(.])[^'"]*(['"])[^'"\r\n]*\1[ \t]*;?/gm;
const NAMED_HEAD = /^import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]/;

const recentDeclarations = new Map<string, ImportDeclaration[]>();

/**
 * The file's import declarations, in order. Found in its code (see codeOf), so an
 * import written in a comment or a string is none.
 */
export function importDeclarations(source: string): ImportDeclaration[] {
  const known = recentDeclarations.get(source);
  if (known) return known;
  const code = codeOf(source);
  const declarations = [...code.matchAll(IMPORT_DECLARATION)].map((match) => {
    const start = match.index;
    const end = start + match[0].length;
    const closeQuote = start + match[0].lastIndexOf(match[1] as string);
    const openQuote = code.lastIndexOf(match[1] as string, closeQuote - 1);
    const head = NAMED_HEAD.exec(match[0]);
    const listStart = head ? start + match[0].indexOf('{') + 1 : 0;
    return {
      start,
      end,
      module: source.slice(openQuote + 1, closeQuote),
      ...(head
        ? {
            named: {
              typeOnly: Boolean(head[1]),
              start: listStart,
              end: listStart + (head[2] ?? '').length,
            },
          }
        : {}),
    };
  });
  // Each edit of a file asks again, often of the same text: keep the last few.
  if (recentDeclarations.size >= 4)
    recentDeclarations.delete(recentDeclarations.keys().next().value as string);
  recentDeclarations.set(source, declarations);
  return declarations;
}

/** The named imports from `module`: `import { … } from` and `import type { … } from` only. */
function namedImportsFrom(
  source: string,
  module: string,
): (ImportDeclaration & { named: NonNullable<ImportDeclaration['named']> })[] {
  return importDeclarations(source).filter(
    (
      declaration,
    ): declaration is ImportDeclaration & {
      named: NonNullable<ImportDeclaration['named']>;
    } => declaration.module === module && declaration.named !== undefined,
  );
}

interface Specifier {
  text: string;
  /** The name it binds in this file. */
  local: string;
}

/** The specifiers of a list (as code, comments blank), each with its span in the list. */
function parseSpecifiers(
  list: string,
  statementIsTypeOnly: boolean,
): (Specifier & { start: number; end: number })[] {
  const specifiers: (Specifier & { start: number; end: number })[] = [];
  let partStart = 0;
  for (const part of list.split(',')) {
    const trimmed = part.trim();
    if (trimmed.length > 0) {
      const start = partStart + part.indexOf(trimmed);
      const text =
        statementIsTypeOnly && !trimmed.startsWith('type ') ? `type ${trimmed}` : trimmed;
      // Most specifiers are a bare name; an import of a thousand jobs has thousands.
      const local = /\s/.test(text)
        ? (
            text
              .replace(/^type\s+/, '')
              .split(/\s+as\s+/)
              .pop() ?? text
          ).trim()
        : text;
      specifiers.push({ text, local, start, end: start + trimmed.length });
    }
    partStart += part.length + 1;
  }
  return specifiers;
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
  return importDeclarations(source).at(-1)?.end ?? 0;
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

type NamedImport = ReturnType<typeof namedImportsFrom>[number];

/**
 * New specifier lines at the end of an import already laid out one specifier per
 * line (as prettier lays out one too long for a line): in the file's own indentation
 * and with its trailing-comma style, so they need no formatting, however long the
 * list. Undefined when the import is laid out otherwise. Read in code, so a comment
 * after the last name stays after it.
 */
function appendSpecifierLines(
  source: string,
  statement: NamedImport,
  added: readonly Specifier[],
): ContextEdit[] | undefined {
  const code = codeOf(source);
  const close = statement.named.end;
  const closeLineStart = code.lastIndexOf('\n', close - 1) + 1;
  if (code.slice(closeLineStart, close).trim() !== '') return undefined;
  const lastLineStart = code.lastIndexOf('\n', closeLineStart - 2) + 1;
  const lastLine = code.slice(lastLineStart, closeLineStart - 1);
  if (
    lastLineStart <= statement.start ||
    !/^[ \t]+(type\s+)?[\w$]+(\s+as\s+[\w$]+)?,?[ \t]*\r?$/.test(lastLine)
  ) {
    return undefined;
  }
  const indent = /^[ \t]*/.exec(lastLine)?.[0] ?? '';
  const trailingComma = /,[ \t]*\r?$/.test(lastLine);
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
 * The edit adding specifiers right after the last one of a list that holds
 * comments, which rewriting the import would lose.
 */
function appendSpecifiersInline(
  source: string,
  statement: NamedImport,
  added: readonly Specifier[],
): ContextEdit[] {
  const code = codeOf(source);
  let end = statement.named.end;
  while (end > statement.named.start && /\s/.test(code.charAt(end - 1))) end -= 1;
  const previous = code.charAt(end - 1);
  const separator = end === statement.named.start ? ' ' : previous === ',' ? ' ' : ', ';
  const text = `${separator}${added.map((specifier) => specifier.text).join(', ')}`;
  return [{ start: end, end, text, context: 'literal' }];
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
  const matches = namedImportsFrom(source, module);
  const valueImports = matches.filter((match) => !match.named.typeOnly);
  const target =
    valueImports.length === 1
      ? valueImports[0]
      : valueImports.length === 0
        ? matches[0]
        : undefined;
  if (matches.length > 0 && !target) {
    const lines = valueImports.map((match) => lineAt(source, match.start)).join(', ');
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
  const typeOnlyStatement = target.named.typeOnly;
  const list = codeOf(source).slice(target.named.start, target.named.end);
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
  const statementText = source.slice(target.start, target.end);
  const canAppend = !typeOnlyStatement || missing.every((name) => name.typeOnly);
  const appended =
    statementText.includes('\n') && canAppend
      ? appendSpecifierLines(source, target, added)
      : undefined;
  if (appended) return appended;
  // A list holding comments is extended in place: rewriting it would drop them.
  if (canAppend && source.slice(target.named.start, target.named.end) !== list) {
    return appendSpecifiersInline(source, target, added);
  }
  const quote = source.charAt(statementText.lastIndexOf(module) + target.start - 1) || "'";
  const merged = printImport(
    [...(listed ?? parseSpecifiers(list, typeOnlyStatement)), ...missing.map(toSpecifier)],
    quote,
    module,
  );
  return [{ start: target.start, end: target.end, text: merged, context: 'statement' }];
}

/**
 * Removes `names` from the file's imports from `module`, and an import left empty.
 * Each name goes with its comma; the rest of the import stays as written. Returns
 * undefined when a name is not imported from there (the file has changed).
 */
export function removeNamedImports(
  source: string,
  module: string,
  names: readonly string[],
): string | undefined {
  let result = source;
  const remaining = new Set(names);
  const code = codeOf(source);
  for (const statement of namedImportsFrom(source, module).reverse()) {
    const { start: listStart, end: listEnd, typeOnly } = statement.named;
    const specifiers = parseSpecifiers(code.slice(listStart, listEnd), typeOnly);
    const removed = specifiers.filter((specifier) => remaining.has(specifier.local));
    if (removed.length === 0) continue;
    for (const specifier of removed) remaining.delete(specifier.local);
    if (removed.length === specifiers.length) {
      const lineEnd = code.indexOf('\n', statement.end);
      const end =
        lineEnd !== -1 && code.slice(statement.end, lineEnd).trim() === ''
          ? lineEnd + 1
          : statement.end;
      result = result.slice(0, statement.start) + result.slice(end);
      continue;
    }
    // Spans in the file: a name up to the next one; names after the last one kept,
    // from the end of that one (so the comma before them goes too).
    const lastKept = specifiers.findLastIndex((specifier) => !removed.includes(specifier));
    const spans: [number, number][] = [];
    for (const specifier of removed) {
      const index = specifiers.indexOf(specifier);
      const next = specifiers[index + 1];
      if (index < lastKept && next) spans.push([specifier.start, next.start]);
    }
    const last = specifiers[specifiers.length - 1];
    if (lastKept < specifiers.length - 1 && last) {
      spans.push([(specifiers[lastKept] as Specifier & { end: number }).end, last.end]);
    }
    for (const [from, to] of spans.reverse()) {
      result = result.slice(0, listStart + from) + result.slice(listStart + to);
    }
  }
  return remaining.size === 0 ? result : undefined;
}

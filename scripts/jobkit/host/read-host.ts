import { HostError } from '../core/errors.js';
import { parseTypeScript, staticString, type SyntaxNode } from '../core/parse.js';
import { closingBracket, codeOf, lineAt } from '../core/scan.js';
import type { VirtualTree } from '../core/tree.js';
import { isFieldKind, type FieldType } from '../job/field-types.js';
import type { HostLayout } from './layout.js';

/** One `KEY: 'queue-name'` entry of QUEUE_NAMES. */
export interface QueueEntry {
  key: string;
  name: string;
  line: number;
}

/** The text of a host file the kit needs; `configKey` is the `jobkit` setting that moves it. */
export function readText(
  tree: VirtualTree,
  path: string,
  what: string,
  configKey?: string,
): string {
  const text = tree.read(path);
  if (text === null) {
    const hint = configKey
      ? `; if it lives elsewhere, set "jobkit": { "${configKey}": "<path>" } in package.json`
      : '';
    throw new HostError(`${path}: not found; the kit expects ${what} there${hint}`, path);
  }
  return text;
}

/** `export const QUEUE_NAMES = {` in code (not in a comment or a string). */
const QUEUE_NAMES_DECLARATION = /\bexport\s+const\s+QUEUE_NAMES\b[^=;]*=\s*\{/g;
/** An entry `KEY: 'name'` as code shows it (the string's contents blanked). */
const PLAIN_ENTRY = /^([A-Za-z_$][\w$]*)\s*:\s*(['"])( *)\2$/;

/** The QUEUE_NAMES object literal: where its braces are, and its entries. */
export interface QueueNamesObject {
  open: number;
  close: number;
  entries: QueueEntry[];
  /** Whether `as const` follows the object. */
  asConst: boolean;
}

/** The entries of the object between `open` and `close`, read by the parser. */
function parsedEntries(file: string, source: string, open: number, close: number): QueueEntry[] {
  const wrapped = `(${source.slice(open, close + 1)})`;
  const expression = (
    parseTypeScript(file, wrapped, { offset: open - 1, fileText: source }).program as {
      body: { expression: SyntaxNode }[];
    }
  ).body[0]?.expression;
  const properties = (expression?.properties ?? []) as SyntaxNode[];
  return properties.map((property) => {
    const line = lineAt(source, open - 1 + property.start);
    const place = `${file}:${line}`;
    const key = property.key as SyntaxNode | undefined;
    if (property.type === 'SpreadElement') {
      const spread = source.slice(open - 1 + property.start, open - 1 + property.end);
      throw new HostError(
        `${place}: QUEUE_NAMES spreads \`${spread}\`, whose queues the kit cannot read, so a new queue could repeat one of them; list those entries in QUEUE_NAMES itself, then run again`,
        file,
      );
    }
    const keyName =
      property.type !== 'ObjectProperty' || property.computed
        ? undefined
        : key?.type === 'Identifier'
          ? (key.name as string)
          : staticString(key);
    const name =
      property.type === 'ObjectProperty' ? staticString(property.value as SyntaxNode) : undefined;
    if (keyName === undefined || name === undefined) {
      const text = source.slice(open - 1 + property.start, open - 1 + property.end).split('\n')[0];
      throw new HostError(
        `${place}: the QUEUE_NAMES entry \`${text}\` is not \`KEY: 'queue-name'\` with a plain key and a string, so the kit cannot tell which queue it names; write it so, then run again`,
        file,
      );
    }
    return { key: keyName, name, line };
  });
}

/**
 * Finds `export const QUEUE_NAMES = { … }` in code and reads its entries. Entries
 * written `KEY: 'name'` are read from the scan; any other shape (a quoted key, a
 * template literal, a spread) is read by the parser, and one the kit cannot
 * compare with a new queue is refused. Undefined when there is no declaration.
 */
export function findQueueNamesObject(file: string, source: string): QueueNamesObject | undefined {
  const code = codeOf(source);
  const declarations = [...code.matchAll(QUEUE_NAMES_DECLARATION)];
  if (declarations.length === 0) return undefined;
  if (declarations.length > 1) {
    const lines = declarations.map((match) => lineAt(source, match.index));
    throw new HostError(
      `${file}:${lines[0]}: \`export const QUEUE_NAMES\` is declared ${declarations.length} times (lines ${lines.join(', ')}); the kit needs exactly one to know where the new queue goes`,
      file,
    );
  }
  const [declaration] = declarations as [RegExpExecArray];
  const open = declaration.index + declaration[0].length - 1;
  const close = closingBracket(code, open);
  if (close === -1) {
    throw new HostError(
      `${file}:${lineAt(source, open)}: the QUEUE_NAMES object is never closed; fix the file, then run again`,
      file,
    );
  }
  const AS_CONST = /\s*as\s+const\b/y;
  AS_CONST.lastIndex = close + 1;
  const asConst = AS_CONST.test(code);
  const entries: QueueEntry[] = [];
  // Line numbers counted as the entries go: QUEUE_NAMES may hold thousands of them.
  let line = lineAt(source, open);
  let counted = open;
  let depth = 0;
  let entryStart = open + 1;
  for (let at = open + 1; at <= close; at += 1) {
    const char = code.charAt(at);
    if (char === '{' || char === '[' || char === '(') depth += 1;
    else if ((char === '}' || char === ']' || char === ')') && at !== close) depth -= 1;
    if (at !== close && (char !== ',' || depth !== 0)) continue;
    const text = code.slice(entryStart, at);
    const trimmed = text.trim();
    const plain = PLAIN_ENTRY.exec(trimmed);
    if (trimmed !== '') {
      const quote = entryStart + text.indexOf(trimmed) + trimmed.length - 1;
      const name = plain ? source.slice(quote - (plain[3] ?? '').length, quote) : '';
      // A string with an escape in it is read by the parser, which knows them all.
      if (!plain || name.includes('\\'))
        return { open, close, entries: parsedEntries(file, source, open, close), asConst };
      const start = entryStart + text.indexOf(trimmed);
      for (let i = counted; i < start; i += 1) if (source.charCodeAt(i) === 10) line += 1;
      counted = start;
      entries.push({ key: plain[1] ?? '', name, line });
    }
    entryStart = at + 1;
  }
  return { open, close, entries, asConst };
}

export function readQueueEntries(tree: VirtualTree, layout: HostLayout): QueueEntry[] {
  const source = readText(tree, layout.queuesFile, 'the QUEUE_NAMES object', 'queuesFile');
  const object = findQueueNamesObject(layout.queuesFile, source);
  if (!object) {
    throw new HostError(
      `${layout.queuesFile}: no \`export const QUEUE_NAMES = { … } as const\` found; the kit adds each queue to that object. If QUEUE_NAMES lives in another file, set "jobkit": { "queuesFile": "<path>" } in package.json`,
      layout.queuesFile,
    );
  }
  return object.entries;
}

/** A field of an existing job's contract, as its data spec declares it. */
export interface ContractField {
  name: string;
  type: FieldType;
  required: boolean;
}

const FIELD_SPEC = /([A-Za-z_$][\w$]*)\s*:\s*\{([^{}]*)\}/g;
const SPEC_TYPE = /type\s*:\s*(['"])([^'"]+)\1/;
const SPEC_REQUIRED = /required\s*:\s*(true|false)/;
const SPEC_VALUES = /values\s*:\s*\[([^\]]*)\]/;

/** The `{ … }` after `data:` inside `<KEY>_JOB = {`, found by matching braces. */
function dataSpecBody(source: string, constant: string): string | undefined {
  const start = new RegExp(`export\\s+const\\s+${constant}\\s*=\\s*\\{`).exec(source);
  if (!start) return undefined;
  const dataKey = /\bdata\s*:\s*\{/g;
  dataKey.lastIndex = start.index;
  const data = dataKey.exec(source);
  if (!data) return undefined;
  let depth = 0;
  const open = data.index + data[0].length - 1;
  for (let i = open; i < source.length; i += 1) {
    const char = source.charAt(i);
    if (char === '{') depth += 1;
    else if (char === '}') {
      depth -= 1;
      if (depth === 0) return source.slice(open + 1, i);
    }
  }
  return undefined;
}

/**
 * The fields of the job queued on `key`, read from its contract's data spec, so a
 * job that triggers it can build its data. Undefined when there is no contract.
 */
export function readContractFields(
  tree: VirtualTree,
  path: string,
  key: string,
): ContractField[] | undefined {
  const source = tree.read(path);
  if (source === null) return undefined;
  const body = dataSpecBody(source, `${key}_JOB`);
  if (body === undefined) return undefined;
  return [...body.matchAll(FIELD_SPEC)].flatMap((match): ContractField[] => {
    const spec = match[2] ?? '';
    const kind = SPEC_TYPE.exec(spec)?.[2];
    const required = SPEC_REQUIRED.exec(spec)?.[1] === 'true';
    if (!kind) return [];
    if (kind === 'enum') {
      const values = [...(SPEC_VALUES.exec(spec)?.[1] ?? '').matchAll(/(['"])([^'"]*)\1/g)].map(
        (v) => v[2] ?? '',
      );
      return [{ name: match[1] ?? '', type: { kind: 'enum', values }, required }];
    }
    return isFieldKind(kind) ? [{ name: match[1] ?? '', type: { kind }, required }] : [];
  });
}

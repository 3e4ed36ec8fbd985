import { HostError } from '../core/errors.js';
import type { VirtualTree } from '../core/tree.js';
import { isFieldKind, type FieldType } from '../job/field-types.js';
import type { HostLayout } from './layout.js';

/** One `KEY: 'queue-name'` entry of QUEUE_NAMES. */
export interface QueueEntry {
  key: string;
  name: string;
  line: number;
}

/** The body of `QUEUE_NAMES = { … }`: group 1. */
export const QUEUE_NAMES_OBJECT = /export\s+const\s+QUEUE_NAMES\s*=\s*\{([^}]*)\}/;
const QUEUE_ENTRY = /^[ \t]*([A-Za-z_$][\w$]*)\s*:\s*(['"])([^'"\n]*)\2/gm;

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

export function readQueueEntries(tree: VirtualTree, layout: HostLayout): QueueEntry[] {
  const source = readText(tree, layout.queuesFile, 'the QUEUE_NAMES object', 'queuesFile');
  const object = QUEUE_NAMES_OBJECT.exec(source);
  if (!object) {
    throw new HostError(
      `${layout.queuesFile}: no \`export const QUEUE_NAMES = { … } as const\` found; the kit adds each queue to that object. If QUEUE_NAMES lives in another file, set "jobkit": { "queuesFile": "<path>" } in package.json`,
      layout.queuesFile,
    );
  }
  const bodyStart = object.index + object[0].indexOf('{') + 1;
  const body = object[1] ?? '';
  // Line numbers counted as the entries go, not from the start for each entry:
  // QUEUE_NAMES may hold thousands of them.
  let line = source.slice(0, bodyStart).split('\n').length;
  let counted = 0;
  return [...body.matchAll(QUEUE_ENTRY)].map((match) => {
    for (let i = counted; i < match.index; i += 1) if (body.charCodeAt(i) === 10) line += 1;
    counted = match.index;
    return { key: match[1] ?? '', name: match[3] ?? '', line };
  });
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

import { stringLiteral } from '../core/text.js';

/** Field kinds, named as in `@forgestack/shared`'s `FieldKind`. */
export type FieldKind =
  | 'string'
  | 'uuid'
  | 'email'
  | 'url'
  | 'iso-date-time'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'object'
  | 'string[]'
  | 'number[]';

export type FieldType = { kind: FieldKind } | { kind: 'enum'; values: string[] };

interface KindInfo {
  /** How answers spell it (the canonical spelling). */
  spelling: string;
  tsType: string;
  /** Appended to a field's doc comment, so readers see the format the worker enforces. */
  formatHint?: string;
}

const KINDS: Record<FieldKind, KindInfo> = {
  string: { spelling: 'string', tsType: 'string' },
  uuid: { spelling: 'string (uuid)', tsType: 'string', formatHint: 'UUID' },
  email: { spelling: 'string (email)', tsType: 'string', formatHint: 'email address' },
  url: { spelling: 'string (url)', tsType: 'string', formatHint: 'http(s) URL' },
  'iso-date-time': { spelling: 'string (ISO)', tsType: 'string', formatHint: 'ISO-8601 date-time' },
  number: { spelling: 'number', tsType: 'number' },
  integer: { spelling: 'integer', tsType: 'number', formatHint: 'integer' },
  boolean: { spelling: 'boolean', tsType: 'boolean' },
  object: { spelling: 'object', tsType: 'Record<string, unknown>' },
  'string[]': { spelling: 'string[]', tsType: 'string[]' },
  'number[]': { spelling: 'number[]', tsType: 'number[]' },
};

export function isFieldKind(kind: string): kind is FieldKind {
  return Object.hasOwn(KINDS, kind);
}

/** The spellings the prompts and the error messages list. */
export const FIELD_TYPE_SPELLINGS = [
  ...Object.values(KINDS).map((info) => info.spelling),
  "a union of quoted literals such as 'csv' | 'json'",
];

const STRING_FORMAT = /^string\s*\(\s*(uuid|email|url|iso)\s*\)$/i;
const FORMAT_KINDS: Record<string, FieldKind> = {
  uuid: 'uuid',
  email: 'email',
  url: 'url',
  iso: 'iso-date-time',
};

/** `'csv' | "json"`: each literal quoted with ' or ", no escapes, joined by `|`. */
const UNION = /^\s*(?:'[^'\n]*'|"[^"\n]*")(?:\s*\|\s*(?:'[^'\n]*'|"[^"\n]*"))*\s*$/;
const UNION_LITERAL = /'([^'\n]*)'|"([^"\n]*)"/g;
/** Characters a literal cannot hold: line terminators and other control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f\u2028\u2029]/;

export type ParsedFieldType = { ok: true; type: FieldType } | { ok: false; problem: string };

export function parseFieldType(spelling: string): ParsedFieldType {
  // Spaces are normalised for the named types only: inside a quoted literal they are data.
  const text = spelling.trim().replace(/\s+/g, ' ');
  const simple = Object.entries(KINDS).find(
    ([, info]) => info.spelling.toLowerCase() === text.toLowerCase(),
  );
  if (simple) return { ok: true, type: { kind: simple[0] as FieldKind } };
  const format = STRING_FORMAT.exec(text);
  if (format?.[1])
    return { ok: true, type: { kind: FORMAT_KINDS[format[1].toLowerCase()] as FieldKind } };
  if (UNION.test(spelling)) {
    const values = [...spelling.matchAll(UNION_LITERAL)].map((match) => match[1] ?? match[2] ?? '');
    if (values.some((value) => value === '')) {
      return { ok: false, problem: 'a union literal is empty; give each literal some text' };
    }
    const unprintable = values.find((value) => UNPRINTABLE.test(value));
    if (unprintable !== undefined) {
      return {
        ok: false,
        problem: `the union literal ${stringLiteral(unprintable)} holds a line break or control character; remove it`,
      };
    }
    const repeated = values.find((value, index) => values.indexOf(value) !== index);
    if (repeated !== undefined) {
      return {
        ok: false,
        problem: `the union lists ${stringLiteral(repeated)} twice; list each literal once`,
      };
    }
    return { ok: true, type: { kind: 'enum', values } };
  }
  if (spelling.includes('|')) {
    const quoted = spelling
      .split('|')
      .map((part) => `'${part.trim().replace(/^['"]|['"]$/g, '')}'`)
      .join(' | ');
    return {
      ok: false,
      problem: `${stringLiteral(spelling)} is not a union the kit reads; quote each literal, e.g. ${quoted}`,
    };
  }
  return {
    ok: false,
    problem: `unknown type ${stringLiteral(spelling)}; use one of: ${FIELD_TYPE_SPELLINGS.join(', ')}`,
  };
}

function quoteLiteral(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/** The spelling answers files and summaries use for a type. */
export function spellFieldType(type: FieldType): string {
  return type.kind === 'enum'
    ? type.values.map(quoteLiteral).join(' | ')
    : KINDS[type.kind].spelling;
}

export function tsTypeOf(type: FieldType): string {
  return type.kind === 'enum'
    ? type.values.map(stringLiteral).join(' | ')
    : KINDS[type.kind].tsType;
}

export function formatHintOf(type: FieldType): string | undefined {
  return type.kind === 'enum' ? undefined : KINDS[type.kind].formatHint;
}

/** The field's entry in a contract's data spec, e.g. `{ type: 'uuid', required: true }`. */
export function specLiteralOf(type: FieldType, required: boolean): string {
  const values =
    type.kind === 'enum' ? ` values: [${type.values.map(stringLiteral).join(', ')}],` : '';
  return `{ type: ${stringLiteral(type.kind)},${values} required: ${required} }`;
}

/** A valid value of the type, as TypeScript source, for generated tests. `seed` varies it. */
export function sampleValueOf(type: FieldType, seed: number): string {
  const n = seed + 1;
  switch (type.kind) {
    case 'string':
      return stringLiteral(`sample text ${n}`);
    case 'uuid':
      return stringLiteral(`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`);
    case 'email':
      return stringLiteral(`user${n}@example.com`);
    case 'url':
      return stringLiteral(`https://example.com/hooks/${n}`);
    case 'iso-date-time':
      return stringLiteral(`2026-01-${String((n % 28) + 1).padStart(2, '0')}T09:30:00.000Z`);
    case 'number':
      return `${n}.5`;
    case 'integer':
      return String(n);
    case 'boolean':
      return 'true';
    case 'object':
      return `{ key: ${stringLiteral(`value ${n}`)} }`;
    case 'string[]':
      return `[${stringLiteral(`first ${n}`)}, ${stringLiteral(`second ${n}`)}]`;
    case 'number[]':
      return `[${n}, ${n + 1}]`;
    case 'enum':
      return stringLiteral(type.values[0] ?? '');
  }
}

/** A value the worker must reject for this type, as TypeScript source. */
export function invalidValueOf(type: FieldType): string {
  switch (type.kind) {
    case 'number':
    case 'integer':
    case 'number[]':
    case 'boolean':
    case 'object':
    case 'string[]':
      return stringLiteral('not valid here');
    default:
      return '12345';
  }
}

/**
 * Whether a value of `source` always fits a field of `target`, for mapping one job's
 * data onto a follow-up job's data (a UUID fits a plain string, not the reverse).
 */
export function fitsInto(source: FieldType, target: FieldType): boolean {
  if (target.kind === 'enum') {
    return source.kind === 'enum' && source.values.every((value) => target.values.includes(value));
  }
  if (source.kind === target.kind) return true;
  if (target.kind === 'string')
    return ['uuid', 'email', 'url', 'iso-date-time', 'enum'].includes(source.kind);
  if (target.kind === 'number') return source.kind === 'integer';
  return false;
}

/** TypeScript spellings that hold any object, as hosts write them. */
const OBJECT_TYPES = new Set(['object', 'Record<string,unknown>', 'Record<string,any>']);

/**
 * Whether a value of `source` fits a member of a host's own type, written in
 * TypeScript (`string`, `number`, `object`, `'a' | 'b'`…): the follow-up's data is
 * filled where it does, and left to write where it does not.
 */
export function fitsTsType(source: FieldType, target: string): boolean {
  const spelled = target.replace(/\s+/g, '').replace(/"/g, "'");
  if (source.kind === 'object') return OBJECT_TYPES.has(spelled);
  const own = tsTypeOf(source).replace(/\s+/g, '').replace(/"/g, "'");
  if (own === spelled) return true;
  if (source.kind === 'enum') {
    const members = new Set(spelled.split('|'));
    return spelled === 'string' || source.values.every((value) => members.has(`'${value}'`));
  }
  return false;
}

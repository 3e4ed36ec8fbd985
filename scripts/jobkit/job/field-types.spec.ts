import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJobData, type FieldSpec } from '../../../packages/shared/src/job-data.js';
import {
  FIELD_TYPE_SPELLINGS,
  fitsInto,
  invalidValueOf,
  parseFieldType,
  sampleValueOf,
  specLiteralOf,
  spellFieldType,
  tsTypeOf,
  type FieldKind,
  type FieldType,
} from './field-types.js';

const KINDS: FieldKind[] = [
  'string',
  'uuid',
  'email',
  'url',
  'iso-date-time',
  'number',
  'integer',
  'boolean',
  'object',
  'string[]',
  'number[]',
];

function parsed(spelling: string): FieldType {
  const result = parseFieldType(spelling);
  if (!result.ok) throw new Error(result.problem);
  return result.type;
}

/** Evaluates generated TypeScript that is also plain JavaScript (literals only). */
function evaluate(source: string): unknown {
  return new Function(`return (${source});`)() as unknown;
}

describe('parseFieldType', () => {
  it('reads every spelling the README lists, in any case and spacing', () => {
    for (const kind of KINDS) {
      const spelling = spellFieldType({ kind });
      expect(parsed(spelling)).toEqual({ kind });
      expect(parsed(`  ${spelling.toUpperCase()}  `)).toEqual({ kind });
    }
    expect(parsed('string(uuid)')).toEqual({ kind: 'uuid' });
    expect(parsed('string ( iso )')).toEqual({ kind: 'iso-date-time' });
  });

  it('reads unions of quoted literals, keeping their text exactly', () => {
    expect(parsed(`'csv' | "json"`)).toEqual({ kind: 'enum', values: ['csv', 'json'] });
    expect(parsed(`'two  spaces'|'*/'|"it's"|'a\\b'|'\${x}'`)).toEqual({
      kind: 'enum',
      values: ['two  spaces', '*/', "it's", 'a\\b', '${x}'],
    });
  });

  it('refuses unknown types, listing the known ones', () => {
    const result = parseFieldType('date');
    expect(result).toEqual({
      ok: false,
      problem: `unknown type "date"; use one of: ${FIELD_TYPE_SPELLINGS.join(', ')}`,
    });
    expect(parseFieldType('string (phone)').ok).toBe(false);
    expect(parseFieldType("'a' 'b'").ok).toBe(false);
    expect(parseFieldType("'a\\'b'").ok).toBe(false);
  });

  it('refuses empty, repeated and unprintable literals', () => {
    expect(parseFieldType("'' | 'a'")).toMatchObject({
      ok: false,
      problem: expect.stringContaining('is empty'),
    });
    expect(parseFieldType('\'a\' | "a"')).toMatchObject({
      problem: expect.stringContaining('lists "a" twice'),
    });
    expect(parseFieldType("'a\tb'")).toMatchObject({ problem: expect.stringContaining('control') });
    expect(parseFieldType("'a\u2028b'")).toMatchObject({
      problem: expect.stringContaining('line break'),
    });
  });

  it('spells every type so that it reads back the same', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc
            .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 })
            .filter((value) => !(value.includes("'") && value.includes('"'))),
          { minLength: 1, maxLength: 5 },
        ),
        (values) => {
          const type: FieldType = { kind: 'enum', values };
          expect(parsed(spellFieldType(type))).toEqual(type);
        },
      ),
    );
  });
});

describe('generated literals', () => {
  it('give a TypeScript type and a data spec whose values are the literals', () => {
    const type = parsed(`'*/' | "it's" | '\${x}'`);
    expect(tsTypeOf(type)).toBe('"*/" | "it\'s" | "${x}"');
    expect(evaluate(specLiteralOf(type, true))).toEqual({
      type: 'enum',
      values: ['*/', "it's", '${x}'],
      required: true,
    });
  });

  it('sample values pass the shared runtime check, invalid ones fail it', () => {
    const types: FieldType[] = [...KINDS.map((kind) => ({ kind })), parsed("'csv' | 'json'")];
    for (const type of types) {
      const spec = { field: evaluate(specLiteralOf(type, true)) as FieldSpec };
      for (const seed of [0, 1, 30]) {
        const value = evaluate(sampleValueOf(type, seed));
        expect(parseJobData({ field: value }, spec), spellFieldType(type)).toEqual({
          field: value,
        });
      }
      expect(() => parseJobData({ field: evaluate(invalidValueOf(type)) }, spec)).toThrow(
        'field: expected',
      );
    }
  });
});

describe('fitsInto', () => {
  it('lets narrower values into wider fields, never the reverse', () => {
    expect(fitsInto({ kind: 'uuid' }, { kind: 'string' })).toBe(true);
    expect(fitsInto({ kind: 'string' }, { kind: 'uuid' })).toBe(false);
    expect(fitsInto({ kind: 'integer' }, { kind: 'number' })).toBe(true);
    expect(fitsInto({ kind: 'number' }, { kind: 'integer' })).toBe(false);
    expect(fitsInto(parsed("'a'"), parsed("'a' | 'b'"))).toBe(true);
    expect(fitsInto(parsed("'a' | 'c'"), parsed("'a' | 'b'"))).toBe(false);
    expect(fitsInto(parsed("'a'"), { kind: 'string' })).toBe(true);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderAnswersSchema, SCHEMA_FILE } from '../cli/write-schema.js';
import {
  DEFAULTS,
  fieldNameSchema,
  jobAnswersSchema,
  LIMITS,
  OBJECT_MEMBERS,
  RESERVED_WORDS,
} from './answers.schema.js';
import { parseFieldType } from './field-types.js';

const kitRoot = fileURLToPath(new URL('../../..', import.meta.url));

function issues(input: unknown): string[] {
  const parsed = jobAnswersSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe('jobAnswersSchema', () => {
  it('fills in the defaults the README promises', () => {
    const parsed = jobAnswersSchema.parse({ name: 'x', purpose: 'p', trigger: 't' });
    expect(parsed).toMatchObject({
      fields: [],
      retries: DEFAULTS.retries,
      backoff: DEFAULTS.backoff,
      timeoutSeconds: DEFAULTS.timeoutSeconds,
      priority: DEFAULTS.priority,
      sideEffects: { email: false, webhook: false, database: false, triggers: [], other: [] },
    });
    expect(parsed.fields).toEqual([]);
  });

  it('keeps free text verbatim apart from line breaks and edge spaces', () => {
    const text = ' Ends */ ${x} `q` "d" \'s\' {{h}} & < $& $1 😀\r\nnext\u2028line  ';
    const parsed = jobAnswersSchema.parse({ name: 'x', purpose: text, trigger: 't' });
    expect(parsed.purpose).toBe('Ends */ ${x} `q` "d" \'s\' {{h}} & < $& $1 😀\nnext\nline');
  });

  it('refuses each number just outside its range, and fractions', () => {
    const base = { name: 'x', purpose: 'p', trigger: 't' };
    for (const [key, { min, max }] of [
      ['retries', LIMITS.retries],
      ['timeoutSeconds', LIMITS.timeoutSeconds],
      ['priority', LIMITS.priority],
    ] as const) {
      expect(issues({ ...base, [key]: min })).toEqual([]);
      expect(issues({ ...base, [key]: max })).toEqual([]);
      expect(issues({ ...base, [key]: min - 1 })).toHaveLength(1);
      expect(issues({ ...base, [key]: max + 1 })).toHaveLength(1);
      expect(issues({ ...base, [key]: min + 0.5 })[0]).toContain('without decimals');
    }
    expect(issues({ ...base, backoff: { delayMs: LIMITS.delayMs.max + 1 } })).toHaveLength(1);
  });

  it('refuses reserved words and Object members as field names, one message each', () => {
    for (const name of [...RESERVED_WORDS, ...OBJECT_MEMBERS]) {
      const parsed = fieldNameSchema.safeParse(name);
      expect(parsed.success, name).toBe(false);
      expect(parsed.error?.issues, name).toHaveLength(1);
    }
    expect(fieldNameSchema.safeParse('toStringValue').success).toBe(true);
  });

  it('keeps every message on one line', () => {
    const hostile = {
      name: 'a\nb',
      purpose: '\u0000',
      trigger: 5,
      fields: [
        { name: 'a\nb', type: "'x\ny'" },
        { name: 'c', type: 'no\nsuch' },
      ],
      sideEffects: { triggers: ['A\nB', 'A\nB'], other: ['\n'] },
    };
    for (const message of issues(hostile)) expect(message).not.toMatch(/[\n\r]/);
  });
});

describe('the JSON Schema in the repository', () => {
  it(`${SCHEMA_FILE} is generated from the zod schema and up to date`, async () => {
    const committed = readFileSync(new URL(`../../../${SCHEMA_FILE}`, import.meta.url), 'utf8');
    expect(
      committed,
      `${SCHEMA_FILE} is out of date; regenerate it with: node scripts/bin/write-schema.mjs`,
    ).toBe(await renderAnswersSchema(kitRoot));
  });

  it('describes one job or a batch, with the limits of the zod schema', () => {
    const schema = JSON.parse(
      readFileSync(new URL(`../../../${SCHEMA_FILE}`, import.meta.url), 'utf8'),
    ) as {
      anyOf: unknown[];
      $defs: {
        job: {
          required: string[];
          properties: Record<string, { minimum?: number; maximum?: number }>;
        };
      };
    };
    expect(schema.anyOf).toEqual([
      { $ref: '#/$defs/job' },
      { type: 'array', items: { $ref: '#/$defs/job' }, minItems: 1 },
    ]);
    const job = schema.$defs.job;
    expect(job.required).toEqual(['name', 'purpose', 'trigger']);
    expect(job.properties.retries).toMatchObject({ minimum: 0, maximum: LIMITS.retries.max });
    expect(job.properties.priority).toMatchObject({ minimum: 1, maximum: LIMITS.priority.max });
  });

  it('accepts exactly the field type spellings the kit reads', () => {
    const schema = JSON.parse(
      readFileSync(new URL(`../../../${SCHEMA_FILE}`, import.meta.url), 'utf8'),
    ) as {
      $defs: {
        job: {
          properties: {
            fields: {
              items: { properties: { type: { anyOf: { enum?: string[]; pattern?: string }[] } } };
            };
          };
        };
      };
    };
    const { anyOf } = schema.$defs.job.properties.fields.items.properties.type;
    const matches = (spelling: string) =>
      anyOf.some((option) =>
        option.enum
          ? option.enum.includes(spelling)
          : new RegExp(option.pattern ?? '$^', 'u').test(spelling),
      );
    const spellings = [
      'string',
      ' Number ',
      'STRING (UUID)',
      'string(email)',
      'string ( iso )',
      'string  (url)',
      'number[]',
      'Boolean',
      `'a' | "b's"`,
      's t r i n g',
      'strin',
      'string [ ]',
      'string (phone)',
      'uuid',
      "'a' 'b'",
    ];
    for (const spelling of spellings) {
      expect(matches(spelling), spelling).toBe(parseFieldType(spelling).ok);
    }
  });

  it('is the schema the answers files in test/answers point at, and they are valid', () => {
    const dir = new URL('../../../test/answers/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const content = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown;
      // A batch file is a list of jobs' answers.
      const jobs = (Array.isArray(content) ? content : [content]) as { $schema?: string }[];
      for (const answers of jobs) {
        if (answers.$schema !== undefined)
          expect(answers.$schema, file).toBe('../../scripts/job-answers.schema.json');
        expect(jobAnswersSchema.safeParse(answers).success, file).toBe(true);
      }
    }
  });
});

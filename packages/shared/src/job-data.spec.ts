import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  JobDataError,
  parseJobData,
  type FieldKind,
  type InferJobData,
  type JobDataSpec,
} from './job-data';

/** Runs `parseJobData` expecting a `JobDataError` and returns it. */
function rejectionOf(input: unknown, spec: JobDataSpec): JobDataError {
  try {
    parseJobData(input, spec);
  } catch (error) {
    if (error instanceof JobDataError) return error;
    throw error;
  }
  throw new Error('parseJobData accepted data it should have rejected');
}

interface KindCase {
  kind: FieldKind;
  expected: string;
  accepted: readonly unknown[];
  /** Each rejected value with the description the error message gives of it. */
  rejected: readonly (readonly [value: unknown, received: string])[];
}

const KIND_CASES: readonly KindCase[] = [
  {
    kind: 'string',
    expected: 'a string',
    accepted: ['', 'hello', ' spaced '],
    rejected: [
      [42, 'a value of type number'],
      [true, 'a value of type boolean'],
      [null, 'null'],
      [['a'], 'an array'],
      [{ a: 1 }, 'a value of type object'],
    ],
  },
  {
    kind: 'uuid',
    expected: 'a UUID string',
    accepted: ['00000000-0000-4000-8000-000000000001', 'A1B2C3D4-E5F6-4789-ABCD-EF0123456789'],
    rejected: [
      ['00000000-0000-4000-8000-00000000000', 'a string in another format'],
      ['00000000000040008000000000000001', 'a string in another format'],
      ['g0000000-0000-4000-8000-000000000001', 'a string in another format'],
      [12345, 'a value of type number'],
    ],
  },
  {
    kind: 'email',
    expected: 'an email address',
    accepted: ['user@example.com', 'first.last+tag@mail.example.co.uk'],
    rejected: [
      ['user@localhost', 'a string in another format'],
      ['user example@example.com', 'a string in another format'],
      ['@example.com', 'a string in another format'],
      ['user@@example.com', 'a string in another format'],
      ['user@example..com', 'a string in another format'],
      [null, 'null'],
    ],
  },
  {
    kind: 'url',
    expected: 'an http(s) URL',
    accepted: ['https://example.com/hook', 'http://127.0.0.1:8080/a?b=c'],
    rejected: [
      ['ftp://example.com/file', 'a string in another format'],
      ['javascript:alert(1)', 'a string in another format'],
      ['example.com/hook', 'a string in another format'],
      [{ href: 'https://example.com' }, 'a value of type object'],
    ],
  },
  {
    kind: 'iso-date-time',
    expected: 'an ISO-8601 date-time string',
    accepted: [
      '2024-01-31T12:00:00Z',
      '2024-01-31T12:00Z',
      '2024-01-31T12:00:00.123456789+02:00',
      '2024-01-31T12:00:00-05:30',
    ],
    rejected: [
      ['2024-01-31', 'a string in another format'],
      ['2024-01-31T12:00:00', 'a string in another format'],
      ['2024-13-01T00:00:00Z', 'a string in another format'],
      ['31/01/2024 12:00', 'a string in another format'],
      [1706702400000, 'a value of type number'],
    ],
  },
  {
    kind: 'number',
    expected: 'a finite number',
    accepted: [0, -1.5, 1e300],
    rejected: [
      [Number.NaN, 'a value of type number'],
      [Number.POSITIVE_INFINITY, 'a value of type number'],
      ['42', 'a value of type string'],
      [10n, 'a value of type bigint'],
    ],
  },
  {
    kind: 'integer',
    expected: 'an integer',
    accepted: [0, -7, Number.MAX_SAFE_INTEGER],
    rejected: [
      [1.5, 'a value of type number'],
      [2 ** 53, 'a value of type number'],
      [Number.NaN, 'a value of type number'],
      ['3', 'a value of type string'],
    ],
  },
  {
    kind: 'boolean',
    expected: 'a boolean',
    accepted: [true, false],
    rejected: [
      ['true', 'a value of type string'],
      [0, 'a value of type number'],
      [null, 'null'],
    ],
  },
  {
    kind: 'object',
    expected: 'an object',
    accepted: [{}, { nested: { deep: [1, 2] } }],
    rejected: [
      [[], 'an array'],
      [null, 'null'],
      ['{}', 'a value of type string'],
    ],
  },
  {
    kind: 'string[]',
    expected: 'an array of strings',
    accepted: [[], ['a', 'b']],
    rejected: [
      [['a', 1], 'an array holding another type'],
      [[null], 'an array holding another type'],
      ['a', 'a value of type string'],
      [{ 0: 'a' }, 'a value of type object'],
    ],
  },
  {
    kind: 'number[]',
    expected: 'an array of finite numbers',
    accepted: [[], [1, 2.5, -3]],
    rejected: [
      [[1, '2'], 'an array holding another type'],
      [[1, Number.NaN], 'an array holding another type'],
      [[Number.POSITIVE_INFINITY], 'an array holding another type'],
      [1, 'a value of type number'],
    ],
  },
];

describe('parseJobData, field kinds', () => {
  for (const { kind, expected, accepted, rejected } of KIND_CASES) {
    describe(kind, () => {
      const spec = { value: { type: kind, required: true } } as const satisfies JobDataSpec;

      it.each(accepted.map((value) => [value]))('accepts %o', (value) => {
        expect(parseJobData({ value }, spec)).toEqual({ value });
      });

      it.each(rejected)('rejects %o as %s', (value, received) => {
        const error = rejectionOf({ value }, spec);

        expect(error.field).toBe('value');
        expect(error.expected).toBe(expected);
        expect(error.received).toBe(received);
        expect(error.message).toBe(`value: expected ${expected}, received ${received}`);
      });
    });
  }

  describe('enum', () => {
    const spec = {
      format: { type: 'enum', values: ['csv', 'json'], required: true },
    } as const satisfies JobDataSpec;

    it.each([['csv'], ['json']])('accepts %s', (format) => {
      expect(parseJobData({ format }, spec)).toEqual({ format });
    });

    it.each([
      ['xml', 'another string'],
      ['CSV', 'another string'],
      [1, 'a value of type number'],
      [['csv'], 'an array'],
      [null, 'null'],
    ] as const)('rejects %o as %s', (format, received) => {
      const error = rejectionOf({ format }, spec);

      expect(error.field).toBe('format');
      expect(error.expected).toBe('one of "csv", "json"');
      expect(error.message).toBe(`format: expected one of "csv", "json", received ${received}`);
    });
  });
});

describe('parseJobData, required and optional fields', () => {
  const spec = {
    id: { type: 'uuid', required: true },
    note: { type: 'string', required: false },
    count: { type: 'integer', required: false },
  } as const satisfies JobDataSpec;
  const id = '00000000-0000-4000-8000-000000000001';

  it('rejects a missing required field, naming it', () => {
    const error = rejectionOf({ note: 'hi' }, spec);

    expect(error.field).toBe('id');
    expect(error.message).toBe('id: expected a value, received nothing (the field is required)');
  });

  it('treats an explicit undefined like a missing field', () => {
    expect(rejectionOf({ id: undefined }, spec).field).toBe('id');
    expect(parseJobData({ id, note: undefined }, spec)).toStrictEqual({ id });
  });

  it('leaves absent optional fields out of the result', () => {
    const parsed = parseJobData({ id }, spec);

    expect(parsed).toStrictEqual({ id });
    expect(Object.hasOwn(parsed, 'note')).toBe(false);
  });

  it('still checks optional fields that are present', () => {
    const error = rejectionOf({ id, count: 1.5 }, spec);

    expect(error.field).toBe('count');
    expect(rejectionOf({ id, note: null }, spec).received).toBe('null');
  });

  it('ignores inherited properties: only own keys count', () => {
    const inherited: unknown = Object.create({ id });

    expect(rejectionOf(inherited, spec).field).toBe('id');
  });

  it('names the first wrong field in spec order', () => {
    expect(rejectionOf({ count: 'x' }, spec).field).toBe('id');
    expect(rejectionOf({ id, note: 1, count: 'x' }, spec).field).toBe('note');
  });
});

describe('parseJobData, the returned copy', () => {
  const spec = {
    userId: { type: 'uuid', required: true },
    tags: { type: 'string[]', required: false },
  } as const satisfies JobDataSpec;
  const userId = '00000000-0000-4000-8000-000000000002';

  it('drops keys the spec does not declare', () => {
    const input = { userId, tags: ['a'], password: 'hunter2', extra: { nested: true } };

    expect(parseJobData(input, spec)).toStrictEqual({ userId, tags: ['a'] });
  });

  it('returns a new object and leaves the input untouched', () => {
    const input = { userId, unknown: 1 };

    const parsed = parseJobData(input, spec);

    expect(parsed).not.toBe(input);
    expect(input).toStrictEqual({ userId, unknown: 1 });
  });

  it('accepts an empty object against an all-optional spec', () => {
    expect(parseJobData({}, { note: { type: 'string', required: false } })).toStrictEqual({});
  });

  it('infers required and optional members from the spec', () => {
    expectTypeOf(parseJobData({ userId }, spec)).toEqualTypeOf<InferJobData<typeof spec>>();
    expectTypeOf<InferJobData<typeof spec>>().toEqualTypeOf<
      { userId: string } & { tags?: string[] }
    >();
    const enumSpec = {
      format: { type: 'enum', values: ['csv', 'json'], required: true },
    } as const satisfies JobDataSpec;
    expectTypeOf<InferJobData<typeof enumSpec>>()
      .toHaveProperty('format')
      .toEqualTypeOf<'csv' | 'json'>();
  });
});

describe('parseJobData, input that is not an object', () => {
  it.each([
    [null, 'null'],
    [undefined, 'a value of type undefined'],
    ['{"userId":"x"}', 'a value of type string'],
    [42, 'a value of type number'],
    [[{ userId: 'x' }], 'an array'],
  ] as const)('rejects %o as field "data"', (input, received) => {
    const error = rejectionOf(input, { userId: { type: 'string', required: true } });

    expect(error.field).toBe('data');
    expect(error.message).toBe(`data: expected an object, received ${received}`);
  });
});

describe('JobDataError', () => {
  it('is an Error carrying the field, the expectation and what was received', () => {
    const error = new JobDataError('email', 'an email address', 'a value of type number');

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('JobDataError');
    expect(error.field).toBe('email');
    expect(error.expected).toBe('an email address');
    expect(error.received).toBe('a value of type number');
    expect(error.message).toBe('email: expected an email address, received a value of type number');
    expect(String(error)).toBe(
      'JobDataError: email: expected an email address, received a value of type number',
    );
  });
});

describe('parseJobData never echoes a rejected value', () => {
  // Job data can hold personal data, and error messages end up in logs and in
  // BullMQ's failedReason.
  const secret = 'Secret-Value-4242';
  const cases: readonly (readonly [kind: FieldKind | 'enum', value: unknown])[] = [
    ['string', { secret }],
    ['uuid', secret],
    ['email', `${secret} at example`],
    ['url', `ftp://${secret}.example.com`],
    ['iso-date-time', `${secret}T00:00:00Z`],
    ['number', secret],
    ['integer', secret],
    ['boolean', secret],
    ['object', [secret]],
    ['string[]', [secret, 4242]],
    ['number[]', [secret]],
    ['enum', secret],
  ];

  it.each(cases)('%s', (kind, value) => {
    const spec: JobDataSpec =
      kind === 'enum'
        ? { field: { type: 'enum', values: ['a', 'b'], required: true } }
        : { field: { type: kind, required: true } };

    const error = rejectionOf({ field: value }, spec);

    expect(error.field).toBe('field');
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('4242');
    expect(error.received).not.toContain(secret);
  });

  it('for a non-object input either', () => {
    const error = rejectionOf(secret, { field: { type: 'string', required: true } });

    expect(error.message).not.toContain(secret);
  });
});

import fc from 'fast-check';
import { freeTextProblem, normalizeFreeText } from '../../scripts/jobkit/core/text.js';
import { OBJECT_MEMBERS, RESERVED_WORDS } from '../../scripts/jobkit/job/answers.schema.js';
import { FIELD_TYPE_SPELLINGS, spellFieldType } from '../../scripts/jobkit/job/field-types.js';
import { jobNames, type JobNames } from '../../scripts/jobkit/job/names.js';
import type { ContractField } from '../../scripts/jobkit/host/read-host.js';

/**
 * Generators of answers for property tests: every answer set they produce is valid
 * for the host they are built for, so the kit must accept it; the free text in it
 * holds every character sequence known to break code generators.
 */

/** Sequences that end comments or strings early, trip template engines or `String.replace`. */
export const NASTY_PIECES = [
  '*/',
  '/*',
  '/**',
  '*\\/',
  '**/',
  '*\\\\/',
  '\\',
  '\\\\',
  '`',
  '${',
  '${x}',
  '}',
  '{{',
  '}}',
  '{{{x}}}',
  '{{#if x}}',
  '"',
  "'",
  '&',
  '&amp;',
  '<',
  '>',
  '<!--',
  '-->',
  '</script>',
  '$&',
  '$1',
  "$'",
  '$`',
  '$$',
  '\n',
  '\r\n',
  '\r',
  '\u2028',
  '\u2029',
  '\t',
  ' ',
  '  ',
  '//',
  '// prettier-ignore',
  'prettier-ignore',
  '@param x',
  '{@link y}',
  '*',
  ' * ',
  '\u00a0',
  '\u200b',
  '\ufeff',
  '😀',
  '👩‍💻',
  '🇫🇷',
  'é',
  'e\u0301',
  '中文',
  'ع',
  '\\u0041',
  '\\n',
  '%s',
  '?.',
  '#!',
  'constructor',
  '__proto__',
] as const;

/** Any text a person could type or paste: nasty pieces mixed with random graphemes. */
export const anyText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...NASTY_PIECES) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 12 }) },
    ),
    { maxLength: 14 },
  )
  .map((parts) => parts.join(''))
  .filter((text) => freeTextProblem(text) === undefined);

/** Free text the kit must accept: printable, not blank. */
export const freeText: fc.Arbitrary<string> = anyText.filter(
  (text) => normalizeFreeText(text) !== '',
);

/** A literal of a union type: no quote of its own kind, no line break or control character. */
const unionLiteral: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '*/',
        '${x}',
        '`',
        '\\',
        '&',
        '<b>',
        '$&',
        '{{x}}',
        'é',
        '😀',
        ' ',
        '-',
        "'",
        '"',
      ),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(''))
  // eslint-disable-next-line no-control-regex -- excluding control characters is the point
  .filter((text) => !/[\u0000-\u001f\u007f\u2028\u2029]/.test(text))
  .filter((text) => !(text.includes("'") && text.includes('"')));

function quote(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/** `'a' | "b's"`, with random spacing around the bars. */
export const unionSpelling: fc.Arbitrary<string> = fc
  .uniqueArray(unionLiteral, { minLength: 1, maxLength: 4 })
  .chain((values) =>
    fc
      .array(fc.constantFrom('|', ' | ', '  |  ', '| '), {
        minLength: values.length,
        maxLength: values.length,
      })
      .map((bars) => values.map((value, i) => (i === 0 ? '' : bars[i]) + quote(value)).join('')),
  );

/** Every named type, in the spellings people type: any case, spaces or none. */
const namedType: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...FIELD_TYPE_SPELLINGS.slice(0, -1)),
    fc.constantFrom<'as is' | 'upper' | 'squeezed' | 'padded'>(
      'as is',
      'upper',
      'squeezed',
      'padded',
    ),
  )
  .map(([spelling, style]) => {
    if (style === 'upper') return spelling.toUpperCase();
    if (style === 'squeezed') return spelling.replace(' (', '(');
    if (style === 'padded') return ` ${spelling.replace('(', '( ')} `;
    return spelling;
  });

export const fieldType: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: namedType },
  { weight: 1, arbitrary: unionSpelling },
);

/** Identifiers that are legal field names but easy to get wrong in generated code. */
const TRICKY_FIELD_NAMES = [
  'then',
  'data',
  'signal',
  'job',
  'deps',
  'tx',
  'length',
  'name',
  '$',
  '_',
  '$$',
  'type',
  'from',
  'as',
  'of',
  'get',
  'set',
  'async',
  'declare',
  'readonly',
  'abstract',
  'any',
  'unknown',
  'never',
  'keyof',
  'is',
  'asserts',
  'module',
  'namespace',
  'require',
  'global',
  'satisfies',
  'override',
  'accessor',
  'symbol',
  'object',
  'string',
  'number',
  'boolean',
  'Object',
  'Promise',
];

export const fieldName: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,11}$/) },
    { weight: 1, arbitrary: fc.constantFrom(...TRICKY_FIELD_NAMES) },
  )
  .filter((name) => !RESERVED_WORDS.has(name) && !OBJECT_MEMBERS.has(name));

/** A job name in any case style: words joined by spaces, `-`, `_` or nothing. */
export const jobName: fc.Arbitrary<string> = fc
  .tuple(
    fc.array(fc.stringMatching(/^[A-Za-z][a-z0-9]{0,7}$/), { minLength: 1, maxLength: 4 }),
    fc.constantFrom(' ', '-', '_', '', ' - '),
    fc.constantFrom<'as is' | 'upper' | 'lower' | 'title'>('as is', 'upper', 'lower', 'title'),
  )
  .map(([words, separator, style]) => {
    const cased = words.map((word) =>
      style === 'upper'
        ? word.toUpperCase()
        : style === 'lower'
          ? word.toLowerCase()
          : style === 'title'
            ? word.charAt(0).toUpperCase() + word.slice(1)
            : word,
    );
    return cased.join(separator);
  })
  .filter((name) => name.length <= 60 && /^[A-Za-z][A-Za-z0-9 _-]*$/.test(name));

/** What a property test needs to know about the host: its queues and their required fields. */
export interface HostQueues {
  names: JobNames[];
  /** QUEUE_NAMES key → the required fields of its contract, as answers spell them. */
  requiredFields: Record<string, { name: string; type: string; required: true }[]>;
}

export function hostQueues(contracts: Record<string, ContractField[]>): HostQueues {
  return {
    names: Object.keys(contracts).map(jobNames),
    requiredFields: Object.fromEntries(
      Object.entries(contracts).map(([key, fields]) => [
        key,
        fields
          .filter((field) => field.required)
          .map((field) => ({
            name: field.name,
            type: spellFieldType(field.type),
            required: true as const,
          })),
      ]),
    ),
  };
}

/** Whether two names would produce the same queue, files or identifiers. */
export function sameJob(a: JobNames, b: JobNames): boolean {
  return a.constant === b.constant || a.kebab === b.kebab || a.pascal === b.pascal;
}

export interface FieldInput {
  name: string;
  type: string;
  required?: boolean;
  description?: string;
}

export interface AnswersInput {
  $schema?: string;
  name: string;
  purpose: string;
  trigger: string;
  fields?: FieldInput[];
  retries?: number;
  backoff?: { type?: 'exponential' | 'fixed'; delayMs?: number };
  timeoutSeconds?: number;
  priority?: number;
  sideEffects?: {
    email?: boolean;
    webhook?: boolean;
    database?: boolean;
    triggers?: string[];
    other?: string[];
  };
}

/**
 * Valid answers for `host`: a fresh job name, random fields and side effects, and the
 * fields each side effect needs (an email recipient, a webhook URL, the required
 * fields of each triggered job) added so the kit has no reason to refuse them.
 */
export function validAnswers(host: HostQueues): fc.Arbitrary<AnswersInput> {
  const field: fc.Arbitrary<FieldInput> = fc.record(
    { name: fieldName, type: fieldType, required: fc.boolean(), description: anyText },
    { requiredKeys: ['name', 'type'] },
  );
  const queueKeys = Object.keys(host.requiredFields);
  return fc
    .record(
      {
        $schema: fc.constant('../../scripts/job-answers.schema.json'),
        name: jobName.filter((name) => !host.names.some((taken) => sameJob(taken, jobNames(name)))),
        purpose: freeText,
        trigger: freeText,
        fields: fc.array(field, { maxLength: 6 }),
        retries: fc.integer({ min: 0, max: 25 }),
        backoff: fc.record(
          {
            type: fc.constantFrom<'exponential' | 'fixed'>('exponential', 'fixed'),
            delayMs: fc.integer({ min: 1, max: 86_400_000 }),
          },
          { requiredKeys: [] },
        ),
        timeoutSeconds: fc.integer({ min: 1, max: 86_400 }),
        priority: fc.integer({ min: 1, max: 10 }),
        sideEffects: fc.record(
          {
            email: fc.boolean(),
            webhook: fc.boolean(),
            database: fc.boolean(),
            triggers: fc.subarray(queueKeys),
            other: fc.array(freeText, { maxLength: 3 }),
          },
          { requiredKeys: [] },
        ),
      },
      { requiredKeys: ['name', 'purpose', 'trigger'] },
    )
    .map((answers) => {
      const effects = answers.sideEffects ?? {};
      const needed: FieldInput[] = [
        ...(effects.email
          ? [{ name: 'recipientEmail', type: 'string (email)', required: true }]
          : []),
        ...(effects.webhook ? [{ name: 'callbackUrl', type: 'string (url)', required: true }] : []),
        ...(effects.triggers ?? []).flatMap((key) => host.requiredFields[key] ?? []),
      ];
      const fields: FieldInput[] = [];
      for (const candidate of [...needed, ...(answers.fields ?? [])]) {
        if (!fields.some((existing) => existing.name === candidate.name)) fields.push(candidate);
      }
      return fields.length > 0 || answers.fields ? { ...answers, fields } : answers;
    });
}

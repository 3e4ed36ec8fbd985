import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AnswersRejectedError } from '../core/errors.js';
import { validateAnswers } from '../job/validate-answers.js';
import { locateInSpec, readSpec } from './read-spec.js';

/**
 * Each fixture in __fixtures__ is a filled-in job prompt; the table says what must be
 * read from it (the answers, lines of the reading) or refused (by line).
 */
const QUEUES = ['WELCOME_EMAIL', 'NOTIFICATION_EMAIL', 'WEBHOOK_DELIVERY'];

interface Case {
  fixture: string;
  about: string;
  answers?: Record<string, unknown>;
  /** Lines of the reading, as printed: `<line> <reading>`. */
  reading?: string[];
  /** Refusals, each `<line>: <part of the message>`. */
  refused?: string[];
}

const SEED_FIELDS = [
  ['orgId', 'string (uuid)', true, 'Organization ID'],
  ['userId', 'string (uuid)', true, 'Requesting user ID'],
  ['userEmail', 'string', true, 'Email to send export to'],
  ['startDate', 'string (ISO)', true, 'Start of date range'],
  ['endDate', 'string (ISO)', true, 'End of date range'],
  ['filters', 'object', false, 'Additional filters applied'],
].map(([name, type, required, description]) => ({ name, type, required, description }));

const CASES: Case[] = [
  {
    fixture: 'seed-example.md',
    about: "the seed's example block pasted as is",
    answers: {
      name: 'AUDIT_LOG_EXPORT',
      purpose: 'Generate CSV export of audit logs for a date range and email to user',
      trigger: 'User clicks "Export" button in audit logs UI',
      fields: SEED_FIELDS,
      retries: 3,
      backoff: { type: 'exponential', delayMs: 1000 },
      timeoutSeconds: 300,
      priority: 5,
      sideEffects: {
        email: true,
        webhook: false,
        database: true,
        triggers: [],
        other: ['Generates CSV file', 'Uploads to R2/S3 storage', 'Creates notification for user'],
      },
    },
    reading: [
      "10 job AUDIT_LOG_EXPORT: constant AUDIT_LOG_EXPORT, queue 'audit-log-export'",
      '19 field userEmail: string, required',
      '25 retries: 3 after the first try (4 attempts in all)',
      '26 backoff: exponential from 1,000 ms',
      '27 timeout: 300 s',
      '28 priority: 5',
      '31 side effect: database',
      '32 side effect: other, a step of its own for "Generates CSV file"',
      '34 side effect: email',
      '34 email recipient: data.userEmail (a plain string in the answers, checked as an email address at run time)',
      '35 side effect: other, a step of its own for "Creates notification for user"',
    ],
  },
  {
    fixture: 'aligned-table.md',
    about: 'extra spaces, alignment rows, backticks and bold in the table; units in ms and minutes',
    answers: {
      name: 'Report Digest',
      fields: [
        { name: 'orgId', type: 'string (uuid)', required: true, description: 'Organization ID' },
        { name: 'weekOf', type: 'string (ISO)', required: true },
        { name: 'recipients', type: 'string[]', required: false, description: '' },
      ],
      retries: 2,
      backoff: { type: 'exponential', delayMs: 500 },
      timeoutSeconds: 120,
      priority: 3,
    },
  },
  {
    fixture: 'no-required-column.md',
    about: 'a table without the Required column: every field required',
    answers: {
      fields: [
        { name: 'imageId', type: 'string (uuid)', required: true },
        { name: 'width', type: 'integer', required: true },
      ],
      sideEffects: { other: ['Stores thumbnails in S3'] },
    },
    reading: ['8 field imageId: string (uuid), required (no Required column)'],
  },
  {
    fixture: 'required-marks.md',
    about: 'yes, no, ✓, optional and an empty cell in the Required column',
    answers: {
      fields: [
        { name: 'accountId', required: true },
        { name: 'cursor', required: false },
        { name: 'batchSize', required: true },
        { name: 'dryRun', required: false },
        { name: 'since', required: false },
      ],
    },
  },
  {
    fixture: 'types.md',
    about: "uuid, number, 'a' | 'b' written with and without \\|, arrays, url, object",
    answers: {
      fields: [
        { name: 'exportId', type: 'string (uuid)' },
        { name: 'ratio', type: 'number' },
        { name: 'format', type: "'csv' | 'json'" },
        { name: 'compression', type: "'gzip' | 'none'" },
        { name: 'tags', type: 'string[]' },
        { name: 'scores', type: 'number[]' },
        { name: 'callbackUrl', type: 'string (url)' },
        { name: 'meta', type: 'object' },
      ],
    },
  },
  {
    fixture: 'unknown-type.md',
    about: 'types the kit does not know, refused with their lines',
    refused: [
      '9: "| when | Date | yes | Not a kit type |": expected a field type',
      '10: unknown type "int"',
    ],
  },
  {
    fixture: 'host-queue-trigger.md',
    about: 'lines naming host queues become follow-ups; an unchecked box is ignored',
    answers: {
      sideEffects: {
        email: false,
        database: true,
        triggers: ['WELCOME_EMAIL', 'NOTIFICATION_EMAIL'],
        other: [],
      },
    },
    reading: [
      '13 ignored (not checked)',
      '15 side effect: follow-up, queues WELCOME_EMAIL',
      '16 side effect: follow-up, queues NOTIFICATION_EMAIL',
    ],
  },
  {
    fixture: 'no-side-effects.md',
    about: 'no Side Effects, Job Data or Job Behavior section; the purpose from the first line',
    answers: {
      name: 'SESSION_PRUNE',
      purpose: 'pruning expired sessions',
      fields: [],
      sideEffects: { email: false, webhook: false, database: false, triggers: [], other: [] },
    },
  },
  {
    fixture: 'unfilled-template.md',
    about: 'the template itself: every unfilled placeholder refused',
    refused: [
      '1: the placeholder [JOB_PURPOSE]',
      '3: the placeholder [JOB_NAME]',
      '4: the placeholder [What this job does]',
      '5: the placeholder [When/how this job is queued',
      '10: the placeholders [field1], [type], [yes/no], [description]',
      '11: the placeholders [type]',
      '14: the placeholder [number, default: 3]',
      '15: the placeholder [exponential/fixed]',
      '16: the placeholder [seconds]',
      '17: the placeholder [1-10, lower = higher priority]',
      '21: the placeholder [specify]',
    ],
  },
  {
    fixture: 'unreadable-behavior.md',
    about: 'lines that cannot be read, each refused with what was expected',
    refused: [
      '4: expected - Purpose: … or - Trigger: …',
      '7: "- Retry attempts: a few": expected a whole number of retries',
      '8: expected the waits of exponential backoff from its first delay: 1s, 2s, 4s',
      '9: expected a duration in whole seconds',
      '10: expected a priority from 1 (runs first) to 10',
      '11: "- Concurrency: 4": expected - Retry attempts',
      '14: expected a checklist line',
      '15: expected the queue it triggers, e.g. Triggers WELCOME_EMAIL',
      '16: MISSING_QUEUE is not one',
    ],
  },
  {
    fixture: 'fixed-backoff-webhook.md',
    about:
      'inside a code fence; fixed backoff, a bare timeout in seconds, an optional callback URL',
    answers: {
      name: 'PARTNER_CALLBACK',
      retries: 0,
      backoff: { type: 'fixed', delayMs: 5000 },
      timeoutSeconds: 30,
      priority: 1,
      sideEffects: { webhook: true, database: false },
    },
    reading: ['13 retries: 0 after the first try (1 attempt in all)', '19 side effect: webhook'],
  },
  {
    fixture: 'windows-line-endings.md',
    about: 'a byte order mark and CR LF line ends',
    answers: { name: 'Nightly Cleanup', trigger: 'Every night', timeoutSeconds: 600 },
    reading: ["1 job Nightly Cleanup: constant NIGHTLY_CLEANUP, queue 'nightly-cleanup'"],
  },
  {
    fixture: 'unchecked-template-effects.md',
    about: "the template's checklist left unchecked, [specify] included",
    answers: {
      sideEffects: { email: false, webhook: false, database: false, triggers: [], other: [] },
    },
  },
];

function read(fixture: string) {
  const text = readFileSync(new URL(`./__fixtures__/${fixture}`, import.meta.url), 'utf8');
  return readSpec(text, { source: fixture, queues: QUEUES });
}

function refusals(fixture: string): string[] {
  try {
    read(fixture);
  } catch (error) {
    if (error instanceof AnswersRejectedError)
      return error.problems.map((problem) => `${problem.path}: ${problem.message}`);
    throw error;
  }
  return [];
}

describe('readSpec', () => {
  it('has a case for every fixture', () => {
    const fixtures = readdirSync(new URL('./__fixtures__', import.meta.url)).sort();
    expect(CASES.map((testCase) => testCase.fixture).sort()).toEqual(fixtures);
  });

  it.each(CASES)('$fixture: $about', ({ fixture, answers, reading, refused }) => {
    if (refused) {
      const problems = refusals(fixture);
      expect(problems).toHaveLength(refused.length);
      refused.forEach((part, index) => {
        const [line, ...message] = part.split(': ');
        expect(problems[index]).toContain(`${fixture}:${line}: `);
        expect(problems[index]).toContain(message.join(': '));
      });
      return;
    }
    const result = read(fixture);
    expect(result.answers).toMatchObject(answers ?? {});
    // What was read is valid answers as it stands.
    expect(() => validateAnswers(result.answers)).not.toThrow();
    const printed = result.lines.map(({ line, reading: text }) => `${line} ${text}`);
    expect(printed).toEqual(expect.arrayContaining(reading ?? []));
  });

  it('reads the seed example as the answers file of the seed as written', () => {
    const { $schema: _schema, ...asWritten } = JSON.parse(
      readFileSync(new URL('../../../test/answers/seed-as-written.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    expect(validateAnswers(read('seed-example.md').answers)).toEqual(validateAnswers(asWritten));
  });

  it('locates later problems on the line the answer came from', () => {
    const reading = read('seed-example.md');
    const located = locateInSpec(
      [
        { path: 'fields[2].name', message: 'm' },
        { path: 'sideEffects.email', message: 'm' },
        { path: 'name', message: 'm' },
        { path: 'elsewhere', message: 'm' },
      ],
      reading,
      'spec.md',
    );
    expect(located.map((problem) => problem.path)).toEqual([
      'spec.md:19 (fields[2].name)',
      'spec.md:34 (sideEffects.email)',
      'spec.md:10 (name)',
      'elsewhere',
    ]);
  });
});

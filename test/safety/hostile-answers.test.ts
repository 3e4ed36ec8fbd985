import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnswersInput } from '../support/arbitraries.js';
import { genJobInProcess } from '../support/cli-in-process.js';
import { expectedTexts } from '../support/free-text.js';
import { holds, readBack } from '../support/read-back.js';
import { generateWithJson } from '../support/run-kit.js';
import { createTempHost, type TempHost } from '../support/temp-host.js';

/**
 * Hostile and malformed answers. Each is either refused before anything is touched
 * (exit 2, one line per problem naming the field and the fix, the tree unchanged) or
 * accepted; the accepted ones are written together as one batch, which must
 * type-check and pass its generated tests, with every text kept verbatim.
 */

const base = { name: 'Hostile Job', purpose: 'Does one thing', trigger: 'When asked' };
const field = (name: unknown, type: unknown = 'string', extra: object = {}) => ({
  name,
  type,
  ...extra,
});

interface Refused {
  title: string;
  /** The answers file's content: JSON of this value, or `raw` text. */
  answers?: unknown;
  raw?: string;
  /** Command-line arguments instead of `--answers <file>`. */
  args?: (answersFile: string) => string[];
  path: string;
  message: string;
}

/** A handler file with no queue: a name that would create it must be refused. */
const ORPHAN = 'apps/worker/src/handlers/orphan-report.handler.ts';

const REFUSED: Refused[] = [
  // Job names
  { title: 'empty name', answers: { ...base, name: '' }, path: 'name', message: 'is empty' },
  { title: 'blank name', answers: { ...base, name: ' \t ' }, path: 'name', message: 'is empty' },
  {
    title: 'name starting with a digit',
    answers: { ...base, name: '1st job' },
    path: 'name',
    message: 'must start with a letter',
  },
  {
    title: 'name escaping the repository',
    answers: { ...base, name: '../../etc/passwd' },
    path: 'name',
    message: 'must start with a letter',
  },
  {
    title: 'absolute path as name',
    answers: { ...base, name: '/tmp/evil' },
    path: 'name',
    message: 'must start with a letter',
  },
  {
    title: 'name with a slash',
    answers: { ...base, name: 'reports/daily' },
    path: 'name',
    message: 'hold only letters, digits',
  },
  {
    title: 'name with a dot',
    answers: { ...base, name: 'audit.log' },
    path: 'name',
    message: 'hold only letters, digits',
  },
  {
    title: 'name with an emoji',
    answers: { ...base, name: 'rocket 🚀' },
    path: 'name',
    message: 'hold only letters, digits',
  },
  {
    title: 'name with a newline',
    answers: { ...base, name: 'two\nlines' },
    path: 'name',
    message: 'hold only letters, digits',
  },
  {
    title: 'name longer than 60 characters',
    answers: { ...base, name: 'a'.repeat(61) },
    path: 'name',
    message: 'longer than 60 characters',
  },
  {
    title: 'name that is a number',
    answers: { ...base, name: 42 },
    path: 'name',
    message: 'must be text',
  },
  {
    title: 'missing name',
    answers: { purpose: 'p', trigger: 't' },
    path: 'name',
    message: 'is missing',
  },
  {
    title: 'existing queue, same spelling',
    answers: { ...base, name: 'WELCOME_EMAIL' },
    path: 'name',
    message: 'QUEUE_NAMES already has WELCOME_EMAIL',
  },
  {
    title: 'existing queue in another case',
    answers: { ...base, name: 'welcomeEmail' },
    path: 'name',
    message: 'QUEUE_NAMES already has WELCOME_EMAIL',
  },
  {
    title: 'existing queue string',
    answers: { ...base, name: 'notification-email' },
    path: 'name',
    message: "NOTIFICATION_EMAIL: 'notification-email'",
  },
  {
    title: 'existing handler file without a queue',
    answers: { ...base, name: 'Orphan Report' },
    path: 'name',
    message: `would create ${ORPHAN}`,
  },
  {
    title: 'two jobs of a batch with one name',
    answers: [
      { ...base, name: 'Nightly Digest' },
      { ...base, name: 'nightly-digest' },
    ],
    path: '[1].name',
    message: 'like job [0] "Nightly Digest" of this batch',
  },
  {
    title: 'two jobs of a batch with one type name',
    answers: [
      { ...base, name: 'Report2' },
      { ...base, name: 'Report 2' },
    ],
    path: '[1].name',
    message: 'like job [0]',
  },
  {
    title: 'an unknown --frobnicate flag',
    answers: { ...base, name: 'WELCOME_EMAIL' },
    args: (file) => ['--answers', file, '--frobnicate'],
    path: '',
    message: "Unknown option '--frobnicate'",
  },
  // Fields
  {
    title: 'empty field name',
    answers: { ...base, fields: [field('')] },
    path: 'fields[0].name',
    message: 'is empty',
  },
  {
    title: 'field name starting with a digit',
    answers: { ...base, fields: [field('2fast')] },
    path: 'fields[0].name',
    message: 'must be a TypeScript identifier',
  },
  {
    title: 'field name with a dash',
    answers: { ...base, fields: [field('user-id')] },
    path: 'fields[0].name',
    message: 'must be a TypeScript identifier',
  },
  {
    title: 'field name with a comment terminator',
    answers: { ...base, fields: [field('a*/b')] },
    path: 'fields[0].name',
    message: 'must be a TypeScript identifier',
  },
  {
    title: 'reserved word as field name',
    answers: { ...base, fields: [field('class')] },
    path: 'fields[0].name',
    message: 'is a reserved word',
  },
  {
    title: '__proto__ as field name',
    answers: { ...base, fields: [field('__proto__')] },
    path: 'fields[0].name',
    message: 'is a reserved word',
  },
  {
    title: "Object's member as field name",
    answers: { ...base, fields: [field('toString', 'string', { required: false })] },
    path: 'fields[0].name',
    message: 'every JavaScript object already has',
  },
  {
    title: 'repeated field name',
    answers: { ...base, fields: [field('orgId'), field('orgId', 'number')] },
    path: 'fields[1].name',
    message: 'repeats the field name "orgId"',
  },
  {
    title: 'unknown field type',
    answers: { ...base, fields: [field('orgId', 'uuid')] },
    path: 'fields[0].type',
    message: 'unknown type "uuid"; use one of: string, string (uuid)',
  },
  {
    title: 'empty field type',
    answers: { ...base, fields: [field('orgId', '')] },
    path: 'fields[0].type',
    message: 'unknown type ""',
  },
  {
    title: 'union listing a literal twice',
    answers: { ...base, fields: [field('format', "'csv' | 'csv'")] },
    path: 'fields[0].type',
    message: 'lists "csv" twice',
  },
  {
    title: 'union with an empty literal',
    answers: { ...base, fields: [field('format', "'' | 'csv'")] },
    path: 'fields[0].type',
    message: 'a union literal is empty',
  },
  {
    title: 'union literal with a tab',
    answers: { ...base, fields: [field('format', "'a\tb' | 'c'")] },
    path: 'fields[0].type',
    message: 'holds a line break or control character',
  },
  {
    title: 'field type that is a number',
    answers: { ...base, fields: [field('orgId', 7)] },
    path: 'fields[0].type',
    message: 'must be text',
  },
  {
    title: 'misspelt field key',
    answers: { ...base, fields: [{ nmae: 'orgId', name: 'orgId', type: 'string' }] },
    path: 'fields[0].nmae',
    message: 'did you mean "name"',
  },
  {
    title: 'fields that are not a list',
    answers: { ...base, fields: 'orgId' },
    path: 'fields',
    message: 'must be a list of fields',
  },
  {
    title: 'a field that is null',
    answers: { ...base, fields: [null] },
    path: 'fields[0]',
    message: 'must be a field object',
  },
  // Numbers
  {
    title: 'fractional retries',
    answers: { ...base, retries: 2.5 },
    path: 'retries',
    message: 'without decimals',
  },
  {
    title: 'negative retries',
    answers: { ...base, retries: -1 },
    path: 'retries',
    message: 'from 0 to 25',
  },
  {
    title: 'too many retries',
    answers: { ...base, retries: 26 },
    path: 'retries',
    message: 'from 0 to 25',
  },
  {
    title: 'retries as text',
    answers: { ...base, retries: '3' },
    path: 'retries',
    message: 'not a string',
  },
  {
    title: 'infinite retries (1e400 in JSON)',
    raw: JSON.stringify({ ...base, retries: 1 }).replace('"retries":1', '"retries":1e400'),
    path: 'retries',
    message: 'not Infinity',
  },
  {
    title: 'zero backoff delay',
    answers: { ...base, backoff: { delayMs: 0 } },
    path: 'backoff.delayMs',
    message: 'from 1 to 86400000',
  },
  {
    title: 'backoff delay over a day',
    answers: { ...base, backoff: { delayMs: 86_400_001 } },
    path: 'backoff.delayMs',
    message: 'from 1 to 86400000',
  },
  {
    title: 'unknown backoff type',
    answers: { ...base, backoff: { type: 'linear' } },
    path: 'backoff.type',
    message: 'must be "exponential" or "fixed"',
  },
  {
    title: 'zero timeout',
    answers: { ...base, timeoutSeconds: 0 },
    path: 'timeoutSeconds',
    message: 'from 1 to 86400',
  },
  {
    title: 'timeout over a day',
    answers: { ...base, timeoutSeconds: 86_401 },
    path: 'timeoutSeconds',
    message: 'from 1 to 86400',
  },
  {
    title: 'priority 0',
    answers: { ...base, priority: 0 },
    path: 'priority',
    message: 'from 1 to 10',
  },
  {
    title: 'priority 11',
    answers: { ...base, priority: 11 },
    path: 'priority',
    message: 'from 1 to 10',
  },
  {
    title: 'fractional priority',
    answers: { ...base, priority: 5.5 },
    path: 'priority',
    message: 'without decimals',
  },
  // Free text
  {
    title: 'empty purpose',
    answers: { ...base, purpose: '' },
    path: 'purpose',
    message: 'is empty',
  },
  {
    title: 'blank purpose',
    answers: { ...base, purpose: ' \n\t\r\n ' },
    path: 'purpose',
    message: 'is empty',
  },
  {
    title: 'purpose with a NUL character',
    answers: { ...base, purpose: 'a\u0000b' },
    path: 'purpose',
    message: 'control character U+0000',
  },
  {
    title: 'purpose with an escape character',
    answers: { ...base, purpose: 'red \u001b[31m text' },
    path: 'purpose',
    message: 'control character U+001B',
  },
  {
    title: 'trigger with a lone surrogate',
    answers: { ...base, trigger: 'broken \ud800 text' },
    path: 'trigger',
    message: 'lone UTF-16 surrogate',
  },
  {
    title: 'missing trigger',
    answers: { name: 'Hostile Job', purpose: 'p' },
    path: 'trigger',
    message: 'is missing',
  },
  // Side effects
  {
    title: 'trigger naming a queue that does not exist',
    answers: { ...base, sideEffects: { triggers: ['INVOICE_SENT'] } },
    path: 'sideEffects.triggers[0]',
    message: 'INVOICE_SENT is not in QUEUE_NAMES',
  },
  {
    title: 'trigger naming a queue in the wrong case',
    answers: { ...base, sideEffects: { triggers: ['notification_email'] } },
    path: 'sideEffects.triggers[0]',
    message: 'CONSTANT_CASE',
  },
  {
    title: 'a job triggering itself',
    answers: { ...base, sideEffects: { triggers: ['HOSTILE_JOB'] } },
    path: 'sideEffects.triggers[0]',
    message: 'is this job itself',
  },
  {
    title: 'a queue triggered twice',
    answers: { ...base, sideEffects: { triggers: ['WELCOME_EMAIL', 'WELCOME_EMAIL'] } },
    path: 'sideEffects.triggers[1]',
    message: 'lists "WELCOME_EMAIL" twice',
  },
  {
    title: 'email without a recipient field',
    answers: { ...base, sideEffects: { email: true } },
    path: 'sideEffects.email',
    message: 'needs a field holding the address to email',
  },
  {
    title: 'email to a named field of another type',
    answers: {
      ...base,
      fields: [field('to', 'string (email)'), field('count', 'integer')],
      sideEffects: { email: true, emailField: 'count' },
    },
    path: 'sideEffects.emailField',
    message: 'whose type is integer',
  },
  {
    title: 'email to a named field that is not there',
    answers: {
      ...base,
      fields: [field('to', 'string (email)')],
      sideEffects: { email: true, emailField: 'userEmail' },
    },
    path: 'sideEffects.emailField',
    message: 'which is not in fields',
  },
  {
    title: 'webhook without a URL field',
    answers: { ...base, sideEffects: { webhook: true } },
    path: 'sideEffects.webhook',
    message: 'needs a field holding the URL to post to',
  },
  {
    title: 'blank other side effect',
    answers: { ...base, sideEffects: { other: ['Uploads', '  '] } },
    path: 'sideEffects.other[1]',
    message: 'is empty',
  },
  {
    title: 'side effects as a list',
    answers: { ...base, sideEffects: ['email'] },
    path: 'sideEffects',
    message: 'must be an object',
  },
  // The answers as a whole
  {
    title: 'unknown answer',
    answers: { ...base, force: true },
    path: 'force',
    message: 'is not a known answer',
  },
  {
    title: 'answers that are text',
    answers: 'AUDIT_LOG_EXPORT',
    path: 'answers',
    message: 'not a string',
  },
  { title: 'answers that are null', answers: null, path: 'answers', message: 'not null' },
  { title: 'an empty batch', answers: [], path: 'answers', message: 'the answers list is empty' },
  {
    title: 'a batch with one bad job',
    answers: [base, { ...base, name: 'Other Job', priority: 0 }],
    path: '[1].priority',
    message: 'from 1 to 10',
  },
  {
    title: 'answers that are not JSON',
    raw: '{ "name": "x", ',
    path: '--answers',
    message: 'is not valid JSON',
  },
  {
    title: 'an answers file that does not exist',
    answers: base,
    args: (file) => ['--answers', `${file}.missing`],
    path: '--answers',
    message: 'does not exist; pass a JSON file or - for standard input',
  },
  {
    title: 'both --answers and --remove',
    answers: base,
    args: (file) => ['--answers', file, '--remove', 'WELCOME_EMAIL'],
    path: '--remove',
    message: 'give either --answers or --remove',
  },
];

/** Text with everything that breaks comments, strings, templates and `String.replace`. */
const NASTY =
  'Ends */ early, opens /* and /** again, `backticks`, ${injected}, "double" and \'single\' quotes, ' +
  "{{handlebars}} {{{raw}}} & <b>tags</b> &amp; $& $1 $' $` \\ back\\slashes *\\/ 😀 👩‍💻 中文";

const ACCEPTED: { title: string; answers: AnswersInput }[] = [
  {
    // The follow-up's data is built where fields match; its other required fields
    // are left to write (a placeholder that fails the job), never a refusal.
    title: 'a trigger whose required fields this job does not have',
    answers: {
      name: 'Trigger Without Fields',
      purpose: 'Queues a notification it cannot fill',
      trigger: 'In tests',
      fields: [{ name: 'userId', type: 'integer', description: 'Not the UUID the target wants' }],
      sideEffects: { triggers: ['NOTIFICATION_EMAIL'] },
    },
  },
  {
    title: 'free text with every nasty sequence, on several lines',
    answers: {
      name: 'Nasty Text Export',
      purpose: `${NASTY}\nsecond line\r\nthird line\u2028fourth line`,
      trigger: `When */ ends a comment\n  and an indented line follows`,
      fields: [
        { name: 'recipient', type: 'string (email)', description: `Who gets it: ${NASTY}` },
        { name: 'note', type: 'string', required: false, description: '*/\n*/\n/** */' },
      ],
      sideEffects: { email: true, other: [NASTY, '$& and $1 replacement patterns'] },
    },
  },
  {
    title: 'a union whose literals hold quotes, comment ends and template syntax',
    answers: {
      name: 'union-literals',
      purpose: 'Checks literal values survive',
      trigger: 'In tests',
      fields: [
        {
          name: 'format',
          type: `'*/' | "it's" | '\${x}' | '<b>&amp;' | 'a\\b' | '{{x}}' | 'two  spaces' | '😀'`,
          description: 'The format',
        },
      ],
    },
  },
  {
    title: 'identifiers that are legal but easy to get wrong',
    answers: {
      name: 'xml HTTP request-parser_v2',
      purpose: 'Parses requests',
      trigger: 'On upload',
      fields: [
        { name: 'then', type: 'string' },
        { name: '$', type: 'number', required: false },
        { name: '_', type: 'boolean', required: false },
        { name: 'type', type: "'a' | 'b'" },
        { name: 'data', type: 'object', required: false },
        { name: 'signal', type: 'string[]', required: false },
        { name: 'deps', type: 'number[]', required: false },
        { name: 'async', type: 'integer' },
      ],
    },
  },
  {
    title: 'side-effect texts naming Object members and fixed dependencies',
    answers: {
      name: 'Step Names',
      purpose: 'Runs steps',
      trigger: 'Nightly',
      sideEffects: {
        database: true,
        other: ['constructor', 'toString', 'perform', 'enqueue', '2nd pass', '!!!', 'perform'],
      },
    },
  },
  {
    title: 'the lower bounds of every number',
    answers: {
      name: 'Lower Bounds',
      purpose: 'Minimal policy',
      trigger: 'Rarely',
      retries: 0,
      backoff: { type: 'fixed', delayMs: 1 },
      timeoutSeconds: 1,
      priority: 1,
    },
  },
  {
    title: 'the upper bounds of every number',
    answers: {
      name: 'Upper Bounds',
      purpose: 'Maximal policy',
      trigger: 'Often',
      retries: 25,
      backoff: { type: 'exponential', delayMs: 86_400_000 },
      timeoutSeconds: 86_400,
      priority: 10,
    },
  },
  {
    title: 'emoji and right-to-left text only',
    answers: { name: 'Emoji Only', purpose: '🚀🔥', trigger: 'عند الطلب 👩‍💻' },
  },
  {
    title: 'comment directives in free text',
    answers: {
      name: 'Directives',
      purpose: '// prettier-ignore\n@param x {@link y} @deprecated',
      trigger: '/* eslint-disable */ #!/bin/sh <!-- -->',
    },
  },
  {
    title: 'every side effect, triggering two host jobs',
    answers: {
      name: 'Every Effect',
      purpose: 'Does everything at once, "quoted"',
      trigger: "User's click",
      fields: [
        { name: 'userId', type: 'string (uuid)' },
        { name: 'email', type: 'string (email)' },
        { name: 'userEmail', type: 'string (email)' },
        { name: 'hook', type: 'string (url)' },
      ],
      sideEffects: {
        email: true,
        webhook: true,
        database: true,
        triggers: ['WELCOME_EMAIL', 'NOTIFICATION_EMAIL'],
        other: ['Uploads to S3 */'],
      },
    },
  },
  {
    title: 'names close to identifiers the generated files already use',
    answers: { name: 'Job', purpose: 'Named like BullMQ Job', trigger: 'Always' },
  },
  {
    title: 'a name whose type is named like a shared export',
    answers: { name: 'Job Logger', purpose: 'Named like JobLogger', trigger: 'Always' },
  },
  {
    title: 'a name like the API service',
    answers: { name: 'Queue Service', purpose: 'Named like QueueService', trigger: 'Always' },
  },
  {
    title: 'a name that spaces and cases oddly',
    answers: { name: '  Odd   CASE_name-here  ', purpose: 'p', trigger: 't' },
  },
];

describe('hostile answers', () => {
  let host: TempHost;
  let before: string;
  let dir: string;

  beforeAll(() => {
    host = createTempHost();
    host.write(ORPHAN, 'export {};\n');
    before = host.hash();
    dir = mkdtempSync(join(tmpdir(), 'jobkit-hostile-'));
  });
  afterAll(() => {
    host.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(REFUSED.map((refused) => [refused.title, refused] as const))(
    'refuses %s',
    async (_, refused) => {
      const file = join(dir, `${refused.title.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, refused.raw ?? JSON.stringify(refused.answers));
      const run = await genJobInProcess(host.root, refused.args?.(file) ?? ['--answers', file]);

      expect(run.exitCode).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toBe('Nothing was written.');
      for (const line of lines.slice(0, -1)) expect(line).toMatch(/^error: \S/);
      const prefix = refused.path ? `error: ${refused.path}: ` : 'error: ';
      expect(lines.some((line) => line.startsWith(prefix) && line.includes(refused.message))).toBe(
        true,
      );
      expect(host.hash()).toBe(before);
    },
  );

  it('accepts the rest as one batch that type-checks, passes its tests and keeps every text', async () => {
    const batch = ACCEPTED.map((accepted) => accepted.answers);
    const report = await generateWithJson(host.root, batch);
    expect(report.errors).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.files.created).toHaveLength(3 * batch.length);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.checks.map((check) => check.check)).toEqual(
      expect.arrayContaining(['typecheck', 'test']),
    );

    for (const { title, answers } of ACCEPTED) {
      for (const expected of expectedTexts(answers)) {
        const back = await readBack(host.read(expected.file));
        expect(
          holds(back, expected.text, expected.in),
          `${title}: ${expected.file} holds ${JSON.stringify(expected.text)} in a ${expected.in}`,
        ).toBe(true);
      }
    }
    const all = ACCEPTED.flatMap(({ answers }) => expectedTexts(answers).map((e) => e.file));
    for (const file of new Set(all))
      expect(host.read(file)).not.toMatch(/&(?:lt|gt|quot|#x?[0-9a-fA-F]+);/);
  });
});

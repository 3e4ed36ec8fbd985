import { z } from 'zod';
import { freeTextProblem, normalizeFreeText, stringLiteral } from '../core/text.js';
import { JOB_NAME_PATTERN } from './names.js';
import { FIELD_TYPE_SPELLINGS, parseFieldType, type FieldType } from './field-types.js';

/**
 * The one definition of a job's answers: the prompts validate each answer with these
 * schemas, `gen:job --answers` parses files with them, and the JSON Schema shipped
 * for editors (scripts/job-answers.schema.json) is generated from them. Checks that
 * need the repository (duplicates, existing queues) live in `resolve-job.ts`.
 */

export const LIMITS = {
  nameLength: 60,
  retries: { min: 0, max: 25 },
  delayMs: { min: 1, max: 86_400_000 },
  timeoutSeconds: { min: 1, max: 86_400 },
  priority: { min: 1, max: 10 },
} as const;

export const DEFAULTS = {
  retries: 3,
  backoff: { type: 'exponential', delayMs: 1000 },
  timeoutSeconds: 60,
  priority: 5,
} as const;

/** Words TypeScript reserves, or that would shadow globals in generated code. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false ' +
    'finally for function if import in instanceof new null return super switch this throw true try ' +
    'typeof var void while with implements interface let package private protected public static ' +
    'yield await arguments eval undefined NaN Infinity __proto__'
  ).split(' '),
);

/**
 * Properties every object already has. A data field or dependency named like one
 * breaks type-checking: an object literal without it gets Object's member instead.
 */
export const OBJECT_MEMBERS: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(Object.prototype),
);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** How a message names a value of the wrong type. */
function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number' && !Number.isFinite(input)) return String(input);
  return `a ${typeof input === 'object' ? 'JSON object' : typeof input}`;
}

/** The message for a value of the wrong type, or for a missing one. */
function expected(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined
      ? `is missing; give ${what}`
      : `must be ${what}, not ${describeInput(issue.input)}`;
}

/** Free text: anything printable, stored in its canonical form (see normalizeFreeText). */
function freeText(what: string, { optional = false } = {}) {
  return z
    .string({ error: expected(`text: ${what}`) })
    .superRefine((text, ctx) => {
      const problem = freeTextProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: `${problem}; remove it` });
      else if (!optional && normalizeFreeText(text) === '') {
        ctx.addIssue({ code: 'custom', message: `is empty; describe ${what}` });
      }
    })
    .transform(normalizeFreeText)
    .meta({
      description: `Free text: ${what}. Any characters but control characters; kept verbatim in the generated comments and strings.`,
    });
}

function integer(what: string, { min, max }: { min: number; max: number }) {
  const range = `a whole number from ${min} to ${max}`;
  return z
    .number({ error: expected(`${range} (${what})`) })
    .int({ error: `must be ${range} (${what}), without decimals` })
    .min(min, { error: `must be ${range} (${what})` })
    .max(max, { error: `must be ${range} (${what})` })
    .meta({ description: `${what[0]?.toUpperCase() ?? ''}${what.slice(1)}: ${range}.` });
}

export const jobNameSchema = z
  .string({ error: expected('text: the job name, e.g. AUDIT_LOG_EXPORT') })
  .trim()
  .min(1, {
    error: 'is empty; give the job a name, e.g. AUDIT_LOG_EXPORT or audit log export',
    abort: true,
  })
  .max(LIMITS.nameLength, {
    error: `is longer than ${LIMITS.nameLength} characters; shorten it`,
    abort: true,
  })
  .regex(JOB_NAME_PATTERN, {
    error:
      'must start with a letter and hold only letters, digits, spaces, "-" and "_" (e.g. AUDIT_LOG_EXPORT); it names files and identifiers',
  })
  .meta({
    description:
      'The job name in any case (AUDIT_LOG_EXPORT, audit log export, AuditLogExport): it becomes the QUEUE_NAMES key, the queue name and the file names.',
    examples: ['AUDIT_LOG_EXPORT'],
  });

export const fieldNameSchema = z
  .string({ error: expected('text: the field name, e.g. orgId') })
  .trim()
  .min(1, { error: 'is empty; name the field, e.g. orgId', abort: true })
  .regex(IDENTIFIER, {
    error:
      'must be a TypeScript identifier (letters, digits, _ or $, not starting with a digit), e.g. orgId',
    abort: true,
  })
  .refine((name) => !RESERVED_WORDS.has(name), {
    error: 'is a reserved word; pick another name, e.g. add a prefix',
    abort: true,
  })
  .refine((name) => !OBJECT_MEMBERS.has(name), {
    error:
      'is a property every JavaScript object already has (Object.prototype), which breaks the data type; pick another name, e.g. add a prefix',
  })
  .meta({
    description:
      'The property name in the job data: a TypeScript identifier, not a reserved word or a member of Object.prototype.',
    not: { enum: [...new Set([...RESERVED_WORDS, ...OBJECT_MEMBERS])] },
    examples: ['orgId'],
  });

const NAMED_TYPES = FIELD_TYPE_SPELLINGS.slice(0, -1);

/**
 * A JSON Schema pattern (which has no flags) for `spelling` as parseFieldType reads
 * it: in any case, with any spaces around the parentheses.
 */
function anyCase(spelling: string): string {
  const parts: Record<string, string> = {
    ' ': String.raw`\s*`,
    '(': String.raw`\(\s*`,
    ')': String.raw`\s*\)`,
    '[': String.raw`\[`,
    ']': String.raw`\]`,
  };
  return [...spelling]
    .map((char) => parts[char] ?? `[${char.toLowerCase()}${char.toUpperCase()}]`)
    .join('');
}

export const fieldTypeSchema = z
  .string({ error: expected('text: a field type such as string (uuid)') })
  .transform((spelling, ctx): FieldType => {
    const parsed = parseFieldType(spelling);
    if (parsed.ok) return parsed.type;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  })
  .meta({
    description: `The field's type: one of ${FIELD_TYPE_SPELLINGS.join(', ')}.`,
    anyOf: [
      // The canonical spellings, for completion; then every spelling the kit accepts.
      { enum: NAMED_TYPES },
      { pattern: `^\\s*(${NAMED_TYPES.map(anyCase).join('|')})\\s*$` },
      { pattern: String.raw`^\s*('[^'\n]*'|"[^"\n]*")(\s*\|\s*('[^'\n]*'|"[^"\n]*"))*\s*$` },
    ],
    examples: ['string (uuid)', "'csv' | 'json'"],
  });

export const fieldSchema = z
  .strictObject(
    {
      name: fieldNameSchema,
      type: fieldTypeSchema,
      required: z
        .boolean({ error: expected('true or false') })
        .default(true)
        .meta({ description: 'Whether the data must hold the field.' }),
      description: freeText('the field', { optional: true }).default(''),
    },
    { error: expected('a field object such as { "name": "orgId", "type": "string (uuid)" }') },
  )
  .meta({ description: 'One property of the job data.' });

export const queueKeySchema = z
  .string({ error: expected('text: a QUEUE_NAMES key such as NOTIFICATION_EMAIL') })
  .regex(/^[A-Z][A-Z0-9_]*$/, {
    error: 'must be a QUEUE_NAMES key in CONSTANT_CASE, e.g. NOTIFICATION_EMAIL',
  });

export const sideEffectsSchema = z
  .strictObject(
    {
      email: z
        .boolean({ error: expected('true or false') })
        .default(false)
        .meta({
          description:
            'Sends an email to the field named by emailField, else to the one "string (email)" field (or string field whose name says email, such as userEmail).',
        }),
      emailField: fieldNameSchema.optional().meta({
        description:
          'The field holding the address to email, when several could. A plain string field is checked as an email address at run time; an optional one makes the email conditional.',
      }),
      webhook: z
        .boolean({ error: expected('true or false') })
        .default(false)
        .meta({
          description:
            'Posts a signed webhook to the field named by webhookField, else to the one "string (url)" field (or string field whose name says URL, such as callbackUrl).',
        }),
      webhookField: fieldNameSchema.optional().meta({
        description:
          'The field holding the URL to post to, when several could. A plain string field is checked as a URL at run time; an optional one makes the webhook conditional.',
      }),
      database: z
        .boolean({ error: expected('true or false') })
        .default(false)
        .meta({ description: 'Reads and writes the database in one transaction.' }),
      triggers: z
        .array(queueKeySchema, {
          error: expected('a list of QUEUE_NAMES keys, e.g. ["NOTIFICATION_EMAIL"]'),
        })
        .default([])
        .superRefine((keys, ctx) => {
          const seen = new Set<string>();
          keys.forEach((key, index) => {
            if (seen.size === seen.add(key).size) {
              ctx.addIssue({
                code: 'custom',
                path: [index],
                message: `lists ${stringLiteral(key)} twice; list each queue once`,
              });
            }
          });
        })
        .meta({
          description:
            'QUEUE_NAMES keys of jobs queued when this one succeeds; this job needs their required fields.',
        }),
      other: z
        .array(freeText('the side effect'), {
          error: expected('a list of texts, one per side effect'),
        })
        .default([])
        .meta({ description: 'Other side effects, one text each: each becomes a named step.' }),
    },
    { error: expected('an object such as { "email": true }') },
  )
  .meta({ description: 'What the job does besides its own work.' });

export const backoffSchema = z
  .strictObject(
    {
      type: z
        .enum(['exponential', 'fixed'], { error: 'must be "exponential" or "fixed"' })
        .default(DEFAULTS.backoff.type),
      delayMs: integer('the base delay in milliseconds', LIMITS.delayMs).default(
        DEFAULTS.backoff.delayMs,
      ),
    },
    { error: expected('an object such as { "type": "exponential", "delayMs": 1000 }') },
  )
  .meta({ description: 'The wait between retries.' });

export const jobAnswersSchema = z
  .strictObject(
    {
      $schema: z
        .string({ error: expected('text: the path of scripts/job-answers.schema.json') })
        .optional(),
      name: jobNameSchema,
      purpose: freeText('what the job does'),
      trigger: freeText('when the job is queued'),
      fields: z
        .array(fieldSchema, { error: expected('a list of fields') })
        .default([])
        .meta({ description: 'The job data, one entry per property.' }),
      retries: integer('retries after the first try', LIMITS.retries).default(DEFAULTS.retries),
      backoff: backoffSchema.prefault({}),
      timeoutSeconds: integer('the timeout in seconds', LIMITS.timeoutSeconds).default(
        DEFAULTS.timeoutSeconds,
      ),
      priority: integer('the priority, 1 runs first', LIMITS.priority).default(DEFAULTS.priority),
      sideEffects: sideEffectsSchema.prefault({}),
    },
    {
      error: expected('a job object ({ "name": …, "purpose": …, "trigger": … }) or a list of them'),
    },
  )
  .superRefine((answers, ctx) => {
    // A set, not a search per field: thousands of fields stay linear.
    const seen = new Set<string>();
    answers.fields.forEach((field, index) => {
      if (seen.size === seen.add(field.name).size) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', index, 'name'],
          message: `repeats the field name "${field.name}"; give each field its own name`,
        });
      }
    });
  })
  .meta({ title: 'Job answers', description: 'One BullMQ job for pnpm gen:job.' });

/** Answers as written in a file or typed at the prompts. */
export type JobAnswersInput = z.input<typeof jobAnswersSchema>;
/** Answers after validation: defaults filled in, types parsed, free text canonical. */
export type JobAnswers = z.output<typeof jobAnswersSchema>;
export type FieldAnswer = JobAnswers['fields'][number];

/**
 * The JSON Schema of an answers file, one job or a batch, for editors; written to
 * scripts/job-answers.schema.json by cli/write-schema.ts.
 */
export function answersJsonSchema(): Record<string, unknown> {
  const job = z.toJSONSchema(jobAnswersSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...definition } = job;
  return {
    $schema,
    title: 'pnpm gen:job answers',
    description:
      'One job, or a list of jobs generated together (a batch). Generated from scripts/jobkit/job/answers.schema.ts; do not edit by hand.',
    anyOf: [
      { $ref: '#/$defs/job' },
      { type: 'array', items: { $ref: '#/$defs/job' }, minItems: 1 },
    ],
    $defs: { job: definition },
  };
}

import { z } from 'zod';
import { freeTextProblem, normalizeFreeText } from '../core/text.js';
import { JOB_NAME_PATTERN } from './names.js';
import { parseFieldType, type FieldType } from './field-types.js';

/**
 * The one definition of a job's answers: the prompts validate each answer with these
 * schemas, `gen:job --answers` parses files with them, and the JSON Schema shipped
 * for editors is generated from them. Checks that need the repository (duplicates,
 * existing queues) live in `host-checks.ts`.
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

const RESERVED_WORDS = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false ' +
    'finally for function if import in instanceof new null return super switch this throw true try ' +
    'typeof var void while with implements interface let package private protected public static ' +
    'yield await arguments eval undefined NaN Infinity __proto__'
  ).split(' '),
);

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The message for a value of the wrong type, or for a missing one. */
function expected(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `is missing; give ${what}` : `must be ${what}`;
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
    .transform(normalizeFreeText);
}

function integer(what: string, { min, max }: { min: number; max: number }) {
  const range = `a whole number from ${min} to ${max}`;
  return z
    .number({ error: expected(`${range}: ${what}`) })
    .int({ error: `must be ${range}, without decimals` })
    .min(min, { error: `must be ${range}` })
    .max(max, { error: `must be ${range}` });
}

export const jobNameSchema = z
  .string({ error: expected('text: the job name, e.g. AUDIT_LOG_EXPORT') })
  .trim()
  .min(1, { error: 'is empty; give the job a name, e.g. AUDIT_LOG_EXPORT or audit log export' })
  .max(LIMITS.nameLength, { error: `is longer than ${LIMITS.nameLength} characters; shorten it` })
  .regex(JOB_NAME_PATTERN, {
    error:
      'must start with a letter and hold only letters, digits, spaces, "-" and "_" (e.g. AUDIT_LOG_EXPORT); it names files and identifiers',
  });

export const fieldNameSchema = z
  .string({ error: expected('text: the field name, e.g. orgId') })
  .trim()
  .min(1, { error: 'is empty; name the field, e.g. orgId' })
  .regex(IDENTIFIER, {
    error:
      'must be a TypeScript identifier (letters, digits, _ or $, not starting with a digit), e.g. orgId',
  })
  .refine((name) => !RESERVED_WORDS.has(name), {
    error: 'is a reserved word; pick another name, e.g. add a prefix',
  });

export const fieldTypeSchema = z
  .string({ error: expected('text: a field type such as string (uuid)') })
  .transform((spelling, ctx): FieldType => {
    const parsed = parseFieldType(spelling);
    if (parsed.ok) return parsed.type;
    ctx.addIssue({ code: 'custom', message: parsed.problem });
    return z.NEVER;
  });

export const fieldSchema = z.strictObject({
  name: fieldNameSchema,
  type: fieldTypeSchema,
  required: z.boolean({ error: expected('true or false') }).default(true),
  description: freeText('the field', { optional: true }).default(''),
});

export const queueKeySchema = z
  .string({ error: expected('text: a QUEUE_NAMES key such as NOTIFICATION_EMAIL') })
  .regex(/^[A-Z][A-Z0-9_]*$/, {
    error: 'must be a QUEUE_NAMES key in CONSTANT_CASE, e.g. NOTIFICATION_EMAIL',
  });

export const sideEffectsSchema = z.strictObject({
  email: z.boolean({ error: expected('true or false') }).default(false),
  webhook: z.boolean({ error: expected('true or false') }).default(false),
  database: z.boolean({ error: expected('true or false') }).default(false),
  triggers: z
    .array(queueKeySchema, {
      error: 'must be a list of QUEUE_NAMES keys, e.g. ["NOTIFICATION_EMAIL"]',
    })
    .default([])
    .superRefine((keys, ctx) => {
      keys.forEach((key, index) => {
        if (keys.indexOf(key) !== index) {
          ctx.addIssue({
            code: 'custom',
            path: [index],
            message: `lists ${key} twice; list each queue once`,
          });
        }
      });
    }),
  other: z
    .array(freeText('the side effect'), { error: 'must be a list of texts, one per side effect' })
    .default([]),
});

export const backoffSchema = z.strictObject({
  type: z
    .enum(['exponential', 'fixed'], { error: 'must be "exponential" or "fixed"' })
    .default(DEFAULTS.backoff.type),
  delayMs: integer('the base delay in milliseconds', LIMITS.delayMs).default(
    DEFAULTS.backoff.delayMs,
  ),
});

export const jobAnswersSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: jobNameSchema,
    purpose: freeText('what the job does'),
    trigger: freeText('when the job is queued'),
    fields: z.array(fieldSchema, { error: 'must be a list of fields' }).default([]),
    retries: integer('retries after the first try', LIMITS.retries).default(DEFAULTS.retries),
    backoff: backoffSchema.prefault({}),
    timeoutSeconds: integer('the timeout in seconds', LIMITS.timeoutSeconds).default(
      DEFAULTS.timeoutSeconds,
    ),
    priority: integer('the priority, 1 runs first', LIMITS.priority).default(DEFAULTS.priority),
    sideEffects: sideEffectsSchema.prefault({}),
  })
  .superRefine((answers, ctx) => {
    answers.fields.forEach((field, index) => {
      if (answers.fields.findIndex((other) => other.name === field.name) !== index) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', index, 'name'],
          message: `repeats the field name "${field.name}"; give each field its own name`,
        });
      }
    });
  });

/** Answers as written in a file or typed at the prompts. */
export type JobAnswersInput = z.input<typeof jobAnswersSchema>;
/** Answers after validation: defaults filled in, types parsed, free text canonical. */
export type JobAnswers = z.output<typeof jobAnswersSchema>;
export type FieldAnswer = JobAnswers['fields'][number];

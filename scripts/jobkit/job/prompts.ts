import type { z } from 'zod';
import type { Problem } from '../core/errors.js';
import { diskSource, VirtualTree } from '../core/tree.js';
import { loadLayout } from '../host/config.js';
import { readQueueEntries } from '../host/read-host.js';
import {
  DEFAULTS,
  fieldNameSchema,
  fieldSchema,
  fieldTypeSchema,
  jobAnswersSchema,
  jobNameSchema,
  type FieldAnswer,
  type JobAnswersInput,
} from './answers.schema.js';
import { FIELD_TYPE_SPELLINGS, parseFieldType, spellFieldType } from './field-types.js';
import { jobNames } from './names.js';
import { nameClashes, resolveFollowUp } from './resolve-job.js';

/** The part of inquirer (as plop hands it over) that the prompts use. */
export interface Prompter {
  prompt(questions: PromptQuestion[]): Promise<Record<string, unknown>>;
}

export interface PromptQuestion {
  type: 'input' | 'confirm' | 'list' | 'checkbox';
  name: string;
  message: string;
  default?: unknown;
  choices?: readonly (string | { name: string; value: string })[];
  validate?: (input: never) => true | string;
}

async function ask<T>(prompter: Prompter, question: Omit<PromptQuestion, 'name'>): Promise<T> {
  const answers = await prompter.prompt([{ ...question, name: 'answer' }]);
  return answers.answer as T;
}

/** `true`, or the first problem of `schema` with `label` in front, as inquirer shows it. */
function check(schema: z.ZodType, label: string, value: unknown): true | string {
  const parsed = schema.safeParse(value);
  return parsed.success ? true : `${label} ${parsed.error.issues[0]?.message ?? 'is not valid'}`;
}

function firstProblem(problems: Problem[]): true | string {
  return problems[0] ? problems[0].message : true;
}

const SIDE_EFFECTS = [
  { name: 'Sends email', value: 'email' },
  { name: 'HTTP webhook', value: 'webhook' },
  { name: 'Updates database', value: 'database' },
  { name: 'Triggers other jobs', value: 'triggers' },
  { name: 'Other', value: 'other' },
] as const;

const UNION_CHOICE = "union of literals, e.g. 'csv' | 'json'";

async function askField(prompter: Prompter, fields: FieldAnswer[]): Promise<FieldAnswer> {
  const name = await ask<string>(prompter, {
    type: 'input',
    message: 'Field name (e.g. orgId):',
    validate: (input: string) =>
      fields.some((field) => field.name === input.trim())
        ? `Field name "${input.trim()}" is already a field; give each field its own name`
        : check(fieldNameSchema, 'Field name', input),
  });
  let spelling = await ask<string>(prompter, {
    type: 'list',
    message: `Type of ${name.trim()}:`,
    choices: [...FIELD_TYPE_SPELLINGS.slice(0, -1), UNION_CHOICE],
  });
  if (spelling === UNION_CHOICE) {
    spelling = await ask<string>(prompter, {
      type: 'input',
      message: "Literals, quoted and separated by | (e.g. 'csv' | 'json'):",
      validate: (input: string) => check(fieldTypeSchema, 'Type', input),
    });
  }
  const parsed = parseFieldType(spelling);
  if (!parsed.ok) throw new Error(parsed.problem);
  const required = await ask<boolean>(prompter, {
    type: 'confirm',
    message: 'Required?',
    default: true,
  });
  const description = await ask<string>(prompter, {
    type: 'input',
    message: 'Description (optional):',
    validate: (input: string) => check(fieldSchema.shape.description, 'Description', input),
  });
  return { name: name.trim(), type: parsed.type, required, description: description.trim() };
}

function integerQuestion(
  message: string,
  schema: z.ZodType,
  label: string,
  fallback: number,
): Omit<PromptQuestion, 'name'> {
  return {
    type: 'input',
    message,
    default: String(fallback),
    validate: (input: string) =>
      check(schema, label, input.trim() === '' ? Number.NaN : Number(input)),
  };
}

/**
 * A recipient field the email or the webhook needs but the fields lack: offered at
 * once, so the user need not start over.
 */
async function askRecipient(
  prompter: Prompter,
  fields: FieldAnswer[],
  kind: 'email' | 'url',
  purpose: string,
  suggestion: string,
): Promise<void> {
  if (fields.some((field) => field.type.kind === kind && field.required)) return;
  const name = await ask<string>(prompter, {
    type: 'input',
    message: `${purpose} needs a required string (${kind}) field. Name of the field to add:`,
    default: suggestion,
    validate: (input: string) =>
      fields.some((field) => field.name === input.trim())
        ? `Field name "${input.trim()}" is already a field; give the new field its own name`
        : check(fieldNameSchema, 'Field name', input),
  });
  fields.push({ name: name.trim(), type: { kind }, required: true, description: purpose });
}

/** The generator's questions, in the order of the job template; returns answers in file form. */
export async function askJobAnswers(prompter: Prompter, root: string): Promise<JobAnswersInput> {
  const layout = loadLayout(root);
  const tree = new VirtualTree(diskSource(root));
  const schema = jobAnswersSchema.shape;

  const name = await ask<string>(prompter, {
    type: 'input',
    message: 'Job name (any case, e.g. AUDIT_LOG_EXPORT):',
    validate: (input: string) => {
      const shape = check(jobNameSchema, 'Job name', input);
      return shape === true ? firstProblem(nameClashes(input.trim(), tree, layout)) : shape;
    },
  });
  const purpose = await ask<string>(prompter, {
    type: 'input',
    message: 'Purpose (what the job does):',
    validate: (input: string) => check(schema.purpose, 'Purpose', input),
  });
  const trigger = await ask<string>(prompter, {
    type: 'input',
    message: 'Trigger (when or how the job is queued):',
    validate: (input: string) => check(schema.trigger, 'Trigger', input),
  });

  const fields: FieldAnswer[] = [];
  while (
    await ask<boolean>(prompter, {
      type: 'confirm',
      message: fields.length === 0 ? 'Add a data field?' : 'Add another data field?',
      default: fields.length === 0,
    })
  ) {
    fields.push(await askField(prompter, fields));
  }

  const retries = Number(
    await ask<string>(
      prompter,
      integerQuestion('Retries after the first try:', schema.retries, 'Retries', DEFAULTS.retries),
    ),
  );
  const backoffType = await ask<'exponential' | 'fixed'>(prompter, {
    type: 'list',
    message: 'Backoff between retries:',
    choices: ['exponential', 'fixed'],
    default: DEFAULTS.backoff.type,
  });
  const delayMs = Number(
    await ask<string>(
      prompter,
      integerQuestion(
        'Base delay in milliseconds:',
        schema.backoff.unwrap().shape.delayMs,
        'Base delay',
        DEFAULTS.backoff.delayMs,
      ),
    ),
  );
  const timeoutSeconds = Number(
    await ask<string>(
      prompter,
      integerQuestion(
        'Timeout in seconds:',
        schema.timeoutSeconds,
        'Timeout',
        DEFAULTS.timeoutSeconds,
      ),
    ),
  );
  const priority = Number(
    await ask<string>(
      prompter,
      integerQuestion(
        'Priority, 1 (runs first) to 10:',
        schema.priority,
        'Priority',
        DEFAULTS.priority,
      ),
    ),
  );

  const effects = await ask<string[]>(prompter, {
    type: 'checkbox',
    message: 'Side effects:',
    choices: SIDE_EFFECTS,
  });
  if (effects.includes('email'))
    await askRecipient(prompter, fields, 'email', 'The email', 'recipientEmail');
  if (effects.includes('webhook'))
    await askRecipient(prompter, fields, 'url', 'The webhook', 'webhookUrl');

  let triggers: string[] = [];
  if (effects.includes('triggers')) {
    const names = jobNames(name.trim());
    const queues = readQueueEntries(tree, layout);
    triggers = await ask<string[]>(prompter, {
      type: 'checkbox',
      message: 'Queue which jobs when this one succeeds?',
      choices: queues.map((queue) => queue.key),
      validate: (keys: string[]) => {
        if (keys.length === 0) return 'Choose at least one queue (space selects one)';
        const problems: Problem[] = [];
        keys.forEach((key, index) =>
          resolveFollowUp(key, index, { fields }, names, queues, tree, layout, problems, ''),
        );
        return firstProblem(problems);
      },
    });
  }
  const other: string[] = [];
  if (effects.includes('other')) {
    for (;;) {
      const line = await ask<string>(prompter, {
        type: 'input',
        message:
          other.length === 0
            ? 'Other side effect (one per line):'
            : 'Another side effect (empty to finish):',
        validate: (input: string) =>
          input.trim() === '' && other.length === 0 ? 'Describe at least one side effect' : true,
      });
      if (line.trim() === '') break;
      other.push(line.trim());
    }
  }

  return {
    name: name.trim(),
    purpose,
    trigger,
    fields: fields.map((field) => ({ ...field, type: spellFieldType(field.type) })),
    retries,
    backoff: { type: backoffType, delayMs },
    timeoutSeconds,
    priority,
    sideEffects: {
      email: effects.includes('email'),
      webhook: effects.includes('webhook'),
      database: effects.includes('database'),
      triggers,
      other,
    },
  };
}

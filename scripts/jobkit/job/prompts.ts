import type { z } from 'zod';
import type { Problem } from '../core/errors.js';
import { diskSource, VirtualTree } from '../core/tree.js';
import { loadLayout } from '../host/config.js';
import { jobFiles, type HostLayout } from '../host/layout.js';
import { readContractFields, readQueueEntries } from '../host/read-host.js';
import {
  DEFAULTS,
  LIMITS,
  fieldNameSchema,
  fieldSchema,
  fieldTypeSchema,
  jobAnswersSchema,
  jobNameSchema,
  type FieldAnswer,
  type JobAnswersInput,
} from './answers.schema.js';
import {
  FIELD_TYPE_SPELLINGS,
  fitsInto,
  parseFieldType,
  spellFieldType,
  type FieldType,
} from './field-types.js';
import { jobNames } from './names.js';
import {
  chooseRecipient,
  describeRecipient,
  recipientKind,
  recipientPurpose,
  withRecipientKinds,
  type Recipient,
  type RecipientRole,
} from './recipients.js';
import { nameClashes, resolveFollowUp } from './resolve-job.js';

/** The part of inquirer (as plop hands it over) that the prompts use. */
export interface Prompter {
  prompt(questions: PromptQuestion[]): Promise<Record<string, unknown>>;
}

type Choice = string | { name: string; value: string; checked?: boolean };

export interface PromptQuestion {
  type: 'input' | 'confirm' | 'list' | 'checkbox';
  name: string;
  message: string;
  default?: unknown;
  choices?: readonly Choice[];
  validate?: (input: never) => true | string;
}

async function ask<T>(prompter: Prompter, question: Omit<PromptQuestion, 'name'>): Promise<T> {
  const answers = await prompter.prompt([{ ...question, name: 'answer' }]);
  return answers.answer as T;
}

/** Writes a line between questions (inquirer owns the terminal only while it asks). */
export type Say = (line: string) => void;

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

/** The data fields, asked one after another until the user says no. */
async function askFields(prompter: Prompter, fields: FieldAnswer[]): Promise<void> {
  while (
    await ask<boolean>(prompter, {
      type: 'confirm',
      message: fields.length === 0 ? 'Add a data field?' : 'Add another data field?',
      default: fields.length === 0,
    })
  ) {
    fields.push(await askField(prompter, fields));
  }
}

/**
 * A whole number typed at a prompt. Checked as text first, so that a message never
 * shows what `Number('')` or `Number('abc')` makes of it.
 */
function integerQuestion(
  message: string,
  schema: z.ZodType,
  label: string,
  limits: { min: number; max: number },
  fallback: number,
): Omit<PromptQuestion, 'name'> {
  const range = `a whole number from ${limits.min} to ${limits.max}`;
  return {
    type: 'input',
    message,
    default: String(fallback),
    validate: (input: string) => {
      const text = input.trim();
      if (text === '') return `${label} is empty; type ${range}`;
      if (!/^[+-]?\d+(\.\d+)?$/.test(text)) return `${label} must be ${range}, not "${text}"`;
      return check(schema, label, Number(text));
    },
  };
}

const ADD_FIELD = 'add';
const FIELD_LIST = 'fields';

/**
 * The field the email goes to, or the webhook posts to, settled with the user: picked
 * among several, or, when no field qualifies, one of the string fields already given
 * (checked as an email or URL from then on), a new field, or back to the field list.
 * Returns the field to name in the answers, if the user picked one.
 */
async function settleRecipient(
  prompter: Prompter,
  say: Say,
  fields: FieldAnswer[],
  role: RecipientRole,
  given: string | undefined,
): Promise<string | undefined> {
  const kind = recipientKind(role);
  const holds = recipientPurpose(role);
  const checkedAs = role === 'email' ? 'an email' : 'a URL';
  for (;;) {
    const choice = chooseRecipient(fields, role, given);
    if (choice.ok) {
      const { field, alternatives } = choice.recipient;
      if (alternatives.length === 0) {
        say(`  The ${role} goes to ${describeRecipient(choice.recipient, role)}`);
        return given;
      }
      return ask<string>(prompter, {
        type: 'list',
        message: `Which field holds ${holds}?`,
        choices: [field, ...alternatives],
        default: field,
      });
    }
    given = undefined;
    const strings = fields.filter((field) => field.type.kind === 'string');
    const next = await ask<string>(prompter, {
      type: 'list',
      message: `No field holds ${holds}. What now?`,
      choices: [
        ...strings.map((field) => ({
          name: `Use ${field.name} as ${role === 'email' ? 'the address' : 'the URL'}? It will be checked as ${checkedAs}`,
          value: `use:${field.name}`,
        })),
        { name: `Add a ${spellFieldType({ kind })} field for it`, value: ADD_FIELD },
        { name: 'Go back to the field list', value: FIELD_LIST },
      ],
    });
    if (next.startsWith('use:')) return next.slice('use:'.length);
    if (next === FIELD_LIST) await askFields(prompter, fields);
    else {
      const name = await ask<string>(prompter, {
        type: 'input',
        message: `Name of the field holding ${holds}:`,
        default: role === 'email' ? 'recipientEmail' : 'webhookUrl',
        validate: (input: string) =>
          fields.some((field) => field.name === input.trim())
            ? `Field name "${input.trim()}" is already a field; give the new field its own name`
            : check(fieldNameSchema, 'Field name', input),
      });
      fields.push({ name: name.trim(), type: { kind }, required: true, description: holds });
    }
  }
}

/** The required fields of `key`'s contract that this job's data has no field for. */
function missingForFollowUp(
  key: string,
  fields: readonly FieldAnswer[],
  tree: VirtualTree,
  layout: HostLayout,
): { name: string; type: FieldType }[] {
  const contract = jobFiles(layout, jobNames(key)).contract;
  return (readContractFields(tree, contract, key) ?? []).filter(
    (target) =>
      target.required &&
      !fields.some(
        (field) =>
          field.name === target.name && field.required && fitsInto(field.type, target.type),
      ),
  );
}

/**
 * The follow-up jobs, never refused at the question: when one needs a field this
 * job lacks, the user adds the fields, goes back to the field list, leaves them for
 * the handler (a placeholder that fails the job until written) or drops it.
 */
async function settleFollowUps(
  prompter: Prompter,
  say: Say,
  keys: string[],
  fields: FieldAnswer[],
  context: { name: string; tree: VirtualTree; layout: HostLayout; recipients: Recipient[] },
): Promise<string[]> {
  const { tree, layout, recipients } = context;
  const names = jobNames(context.name);
  const queues = readQueueEntries(tree, layout);
  const kept: string[] = [];
  for (const key of keys) {
    for (;;) {
      const problems: Problem[] = [];
      // Checked as the contract will check them: a string recipient as an email or URL.
      const checked = withRecipientKinds(fields, recipients);
      resolveFollowUp(key, 0, { fields: checked }, names, queues, tree, layout, problems, '');
      if (problems.length > 0) {
        // No data type to read for it: say why and drop it.
        say(`  ${key} is left out: ${problems[0]?.message ?? ''}`);
        break;
      }
      const missing = missingForFollowUp(key, checked, tree, layout);
      if (missing.length === 0) {
        kept.push(key);
        break;
      }
      const listed = missing
        .map((field) => `${field.name} (${spellFieldType(field.type)})`)
        .join(', ');
      const next = await ask<string>(prompter, {
        type: 'list',
        message: `${key} needs ${listed}, which this job's data does not have. What now?`,
        choices: [
          {
            name: `Add ${missing.map((field) => field.name).join(', ')} to this job's data`,
            value: ADD_FIELD,
          },
          { name: 'Go back to the field list', value: FIELD_LIST },
          {
            name: 'Queue it, leaving them for the handler (the job fails until they are written)',
            value: 'leave',
          },
          { name: `Do not queue ${key}`, value: 'drop' },
        ],
      });
      if (next === 'leave') {
        kept.push(key);
        break;
      }
      if (next === 'drop') break;
      if (next === FIELD_LIST) await askFields(prompter, fields);
      else {
        for (const field of missing) {
          const same = fields.findIndex((candidate) => candidate.name === field.name);
          const added = {
            name: field.name,
            type: field.type,
            required: true,
            description: `Passed on to ${key}`,
          };
          if (same === -1) fields.push(added);
          else fields[same] = { ...added, description: fields[same]?.description ?? '' };
        }
      }
    }
  }
  return kept;
}

/** What the prompts start from: a spec's answers (`--from-spec`) become their defaults. */
export interface PromptDefaults {
  answers?: JobAnswersInput;
}

function defaultFields(answers: JobAnswersInput | undefined): FieldAnswer[] {
  return (answers?.fields ?? []).flatMap((field) => {
    const parsed = typeof field.type === 'string' ? parseFieldType(field.type) : undefined;
    return parsed?.ok
      ? [
          {
            name: field.name,
            type: parsed.type,
            required: field.required ?? true,
            description: field.description ?? '',
          },
        ]
      : [];
  });
}

/** The generator's questions, in the order of the job template; returns answers in file form. */
export async function askJobAnswers(
  prompter: Prompter,
  root: string,
  { answers: given }: PromptDefaults = {},
  say: Say = (line) => process.stdout.write(`${line}\n`),
): Promise<JobAnswersInput> {
  const layout = loadLayout(root);
  const tree = new VirtualTree(diskSource(root));
  const schema = jobAnswersSchema.shape;

  const name = await ask<string>(prompter, {
    type: 'input',
    message: 'Job name (any case, e.g. AUDIT_LOG_EXPORT):',
    ...(given?.name ? { default: given.name } : {}),
    validate: (input: string) => {
      const shape = check(jobNameSchema, 'Job name', input);
      return shape === true ? firstProblem(nameClashes(input.trim(), tree, layout)) : shape;
    },
  });
  const purpose = await ask<string>(prompter, {
    type: 'input',
    message: 'Purpose (what the job does):',
    ...(given?.purpose ? { default: given.purpose } : {}),
    validate: (input: string) => check(schema.purpose, 'Purpose', input),
  });
  const trigger = await ask<string>(prompter, {
    type: 'input',
    message: 'Trigger (when or how the job is queued):',
    ...(given?.trigger ? { default: given.trigger } : {}),
    validate: (input: string) => check(schema.trigger, 'Trigger', input),
  });

  const fields: FieldAnswer[] = [];
  const specFields = defaultFields(given);
  if (
    specFields.length > 0 &&
    (await ask<boolean>(prompter, {
      type: 'confirm',
      message: `Keep the ${specFields.length} data fields of the spec (${specFields
        .map((field) => `${field.name}: ${spellFieldType(field.type)}${field.required ? '' : '?'}`)
        .join(', ')})?`,
      default: true,
    }))
  ) {
    fields.push(...specFields);
  }
  await askFields(prompter, fields);

  const retries = Number(
    await ask<string>(
      prompter,
      integerQuestion(
        'Retries after the first try:',
        schema.retries,
        'Retries',
        LIMITS.retries,
        given?.retries ?? DEFAULTS.retries,
      ),
    ),
  );
  const backoffType = await ask<'exponential' | 'fixed'>(prompter, {
    type: 'list',
    message: 'Backoff between retries:',
    choices: ['exponential', 'fixed'],
    default: given?.backoff?.type ?? DEFAULTS.backoff.type,
  });
  const delayMs = Number(
    await ask<string>(
      prompter,
      integerQuestion(
        'Base delay in milliseconds:',
        schema.backoff.unwrap().shape.delayMs,
        'Base delay',
        LIMITS.delayMs,
        given?.backoff?.delayMs ?? DEFAULTS.backoff.delayMs,
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
        LIMITS.timeoutSeconds,
        given?.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
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
        LIMITS.priority,
        given?.priority ?? DEFAULTS.priority,
      ),
    ),
  );

  const givenEffects = given?.sideEffects;
  const wasGiven: Record<(typeof SIDE_EFFECTS)[number]['value'], boolean> = {
    email: givenEffects?.email ?? false,
    webhook: givenEffects?.webhook ?? false,
    database: givenEffects?.database ?? false,
    triggers: (givenEffects?.triggers ?? []).length > 0,
    other: (givenEffects?.other ?? []).length > 0,
  };
  const effects = await ask<string[]>(prompter, {
    type: 'checkbox',
    message: 'Side effects:',
    choices: SIDE_EFFECTS.map((effect) => ({ ...effect, checked: wasGiven[effect.value] })),
  });
  const emailField = effects.includes('email')
    ? await settleRecipient(prompter, say, fields, 'email', givenEffects?.emailField)
    : undefined;
  const webhookField = effects.includes('webhook')
    ? await settleRecipient(prompter, say, fields, 'webhook', givenEffects?.webhookField)
    : undefined;

  const recipients = (['email', 'webhook'] as const).flatMap((role) => {
    if (!effects.includes(role)) return [];
    const choice = chooseRecipient(fields, role, role === 'email' ? emailField : webhookField);
    return choice.ok ? [choice.recipient] : [];
  });

  let triggers: string[] = [];
  if (effects.includes('triggers')) {
    const queues = readQueueEntries(tree, layout);
    const chosen = await ask<string[]>(prompter, {
      type: 'checkbox',
      message: 'Queue which jobs when this one succeeds?',
      choices: queues.map((queue) => ({
        name: queue.key,
        value: queue.key,
        checked: (givenEffects?.triggers ?? []).includes(queue.key),
      })),
      validate: (keys: string[]) =>
        keys.length === 0 ? 'Choose at least one queue (space selects one)' : true,
    });
    triggers = await settleFollowUps(prompter, say, chosen, fields, {
      recipients,
      name: name.trim(),
      tree,
      layout,
    });
  }
  const other: string[] = [];
  if (effects.includes('other')) {
    const specOther = givenEffects?.other ?? [];
    if (
      specOther.length > 0 &&
      (await ask<boolean>(prompter, {
        type: 'confirm',
        message: `Keep the other side effects of the spec (${specOther.join('; ')})?`,
        default: true,
      }))
    ) {
      other.push(...specOther);
    }
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
      ...(emailField ? { emailField } : {}),
      webhook: effects.includes('webhook'),
      ...(webhookField ? { webhookField } : {}),
      database: effects.includes('database'),
      triggers,
      other,
    },
  };
}

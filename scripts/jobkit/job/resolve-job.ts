import { camelCase } from 'change-case';
import { AnswersRejectedError, HostError, type Problem } from '../core/errors.js';
import type { VirtualTree } from '../core/tree.js';
import { jobFiles, type HostLayout, type JobFiles } from '../host/layout.js';
import { readContractFields, readQueueEntries, type QueueEntry } from '../host/read-host.js';
import { OBJECT_MEMBERS, type FieldAnswer, type JobAnswers } from './answers.schema.js';
import { fitsInto, spellFieldType } from './field-types.js';
import { jobNames, type JobNames } from './names.js';
import {
  chooseRecipient,
  withRecipientKinds,
  type Recipient,
  type RecipientRole,
} from './recipients.js';

/** A job queued on another queue when this one succeeds. */
export interface FollowUp {
  key: string;
  names: JobNames;
  /** The dependency that builds its data, e.g. `toNotificationEmail`. */
  mapFunction: string;
  /** Target field ← source field, for every field the kit could map. */
  mapping: { target: string; source: string }[];
  /** Optional target fields that this job's data has no match for. */
  unmapped: string[];
}

/** An "other" side effect: a named, typed step the developer fills in. */
export interface Step {
  name: string;
  description: string;
}

/** Answers checked against the repository, with everything derived from them. */
export interface ResolvedJob {
  answers: JobAnswers;
  names: JobNames;
  files: JobFiles;
  /** The field the email goes to. */
  emailField?: string;
  /** The email's field is optional: the email is sent only when the data holds it. */
  emailOptional?: boolean;
  /** The field holding the webhook's URL. */
  webhookField?: string;
  /** The URL's field is optional: the webhook is posted only when the data holds it. */
  webhookOptional?: boolean;
  /** How each recipient was chosen, for the summary. */
  recipients: Partial<Record<RecipientRole, Recipient>>;
  followUps: FollowUp[];
  steps: Step[];
}

/** Dependency names every handler has; a step named like one gets a suffix. */
const FIXED_DEPENDENCIES = [
  'logger',
  'now',
  'perform',
  'withServiceContext',
  'updateDatabase',
  'composeEmail',
  'sendEmail',
  'postWebhook',
  'enqueue',
];

function stepName(description: string, taken: Set<string>, index: number): string {
  const words = description
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .slice(0, 6)
    .join(' ');
  let base = camelCase(words, { mergeAmbiguousCharacters: true }) || `otherSideEffect${index + 1}`;
  if (/^\d/.test(base)) base = `step${base}`;
  // `constructor` or `toString` as a dependency would clash with Object's own members.
  if (OBJECT_MEMBERS.has(base)) base = `${base}Step`;
  let name = base;
  for (let suffix = 2; taken.has(name); suffix += 1) name = `${base}${suffix}`;
  taken.add(name);
  return name;
}

/**
 * The field an email goes to or a webhook posts to (see recipients.ts), or a problem
 * naming the fix.
 */
export function recipientField(
  fields: FieldAnswer[],
  role: RecipientRole,
  named: string | undefined,
  problems: Problem[],
  prefix: string,
): Recipient | undefined {
  const choice = chooseRecipient(fields, role, named);
  if (choice.ok) return choice.recipient;
  const key = role === 'email' ? 'emailField' : 'webhookField';
  problems.push({
    path: `${prefix}sideEffects.${choice.problem === 'named' ? key : role}`,
    message: choice.message,
  });
  return undefined;
}

export function resolveFollowUp(
  key: string,
  index: number,
  answers: Pick<JobAnswers, 'fields'>,
  names: JobNames,
  queues: QueueEntry[],
  tree: VirtualTree,
  layout: HostLayout,
  problems: Problem[],
  prefix: string,
): FollowUp | undefined {
  const path = `${prefix}sideEffects.triggers[${index}]`;
  if (key === names.constant) {
    problems.push({
      path,
      message: `${key} is this job itself; a job cannot queue itself on success`,
    });
    return undefined;
  }
  if (!queues.some((queue) => queue.key === key)) {
    const known = queues.map((queue) => queue.key).join(', ') || 'none yet';
    problems.push({
      path,
      message: `${key} is not in QUEUE_NAMES (${layout.queuesFile}); use one of: ${known}`,
    });
    return undefined;
  }
  const target = jobNames(key);
  const contract = jobFiles(layout, target).contract;
  const targetFields = readContractFields(tree, contract, key);
  if (!targetFields) {
    problems.push({
      path,
      message: `no contract ${key}_JOB with a \`data\` spec in ${contract}; the kit builds the follow-up's data from it`,
    });
    return undefined;
  }
  const mapping: FollowUp['mapping'] = [];
  const unmapped: string[] = [];
  for (const field of targetFields) {
    const source = answers.fields.find(
      (candidate) =>
        candidate.name === field.name &&
        fitsInto(candidate.type, field.type) &&
        (candidate.required || !field.required),
    );
    if (source) mapping.push({ target: field.name, source: source.name });
    else if (field.required) {
      problems.push({
        path,
        message: `${key} needs the field "${field.name}" (${spellFieldType(field.type)}, required) and this job's data has no such field to pass on; add it to fields`,
      });
    } else unmapped.push(field.name);
  }
  return { key, names: target, mapFunction: `to${target.pascal}`, mapping, unmapped };
}

/**
 * Why a job name cannot be used in this repository: its constant, queue name, files
 * or enqueue method already exist. The prompts ask this as soon as a name is typed.
 */
export function nameClashes(
  name: string,
  tree: VirtualTree,
  layout: HostLayout,
  prefix = '',
  queues: readonly QueueEntry[] = readQueueEntries(tree, layout),
): Problem[] {
  const problems: Problem[] = [];
  const names = jobNames(name);
  const clash = queues.find((queue) => queue.key === names.constant || queue.name === names.kebab);
  if (clash) {
    problems.push({
      path: `${prefix}name`,
      message: `"${name}" becomes ${names.constant} ('${names.kebab}'), and QUEUE_NAMES already has ${clash.key}: '${clash.name}' (${layout.queuesFile}:${clash.line}); choose another name`,
    });
  }
  const existing = Object.values(jobFiles(layout, names)).filter((file) => tree.exists(file));
  if (existing.length > 0) {
    problems.push({
      path: `${prefix}name`,
      message: `"${name}" would create ${existing.join(', ')}, which already exist${existing.length === 1 ? 's' : ''}; choose another name`,
    });
  }
  const queueService = tree.read(layout.queueServiceFile);
  if (queueService === null) {
    throw new HostError(
      `${layout.queueServiceFile}: not found; the kit adds the job's enqueue method there`,
      layout.queueServiceFile,
    );
  }
  if (new RegExp(`\\b${names.enqueueMethod}\\s*\\(`).test(queueService)) {
    problems.push({
      path: `${prefix}name`,
      message: `"${name}" needs the method ${names.enqueueMethod}, which ${layout.queueServiceFile} already has; choose another name`,
    });
  }
  return problems;
}

/**
 * Checks answers against the repository (duplicates, triggers, recipients) and
 * derives what the templates need. Throws `AnswersRejectedError` listing every
 * problem; `prefix` locates the job in a batch file (`[2].`).
 */
export function resolveJob(
  answers: JobAnswers,
  tree: VirtualTree,
  layout: HostLayout,
  prefix = '',
): ResolvedJob {
  const problems: Problem[] = [];
  const names = jobNames(answers.name);
  const files = jobFiles(layout, names);
  const queues = readQueueEntries(tree, layout);
  problems.push(...nameClashes(answers.name, tree, layout, prefix, queues));

  const { sideEffects } = answers;
  const email = sideEffects.email
    ? recipientField(answers.fields, 'email', sideEffects.emailField, problems, prefix)
    : undefined;
  const webhook = sideEffects.webhook
    ? recipientField(answers.fields, 'webhook', sideEffects.webhookField, problems, prefix)
    : undefined;
  // A plain string recipient takes the kind it is checked as: the contract's data
  // spec checks it at run time, and a follow-up can take it as that kind.
  const fields = withRecipientKinds(answers.fields, [email, webhook]);
  const followUps = sideEffects.triggers.flatMap((key, index) => {
    const followUp = resolveFollowUp(
      key,
      index,
      { fields },
      names,
      queues,
      tree,
      layout,
      problems,
      prefix,
    );
    return followUp ? [followUp] : [];
  });

  const taken = new Set([
    ...FIXED_DEPENDENCIES,
    ...followUps.map((followUp) => followUp.mapFunction),
  ]);
  const steps = sideEffects.other.map((description, index) => ({
    name: stepName(description, taken, index),
    description,
  }));

  if (problems.length > 0) throw new AnswersRejectedError(problems);
  return {
    answers: { ...answers, fields },
    names,
    files,
    ...(email ? { emailField: email.field, emailOptional: !email.required } : {}),
    ...(webhook ? { webhookField: webhook.field, webhookOptional: !webhook.required } : {}),
    recipients: { ...(email ? { email } : {}), ...(webhook ? { webhook } : {}) },
    followUps,
    steps,
  };
}

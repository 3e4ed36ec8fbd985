import { camelCase } from 'change-case';
import { AnswersRejectedError, HostError, type Problem } from '../core/errors.js';
import type { VirtualTree } from '../core/tree.js';
import { boundNames, classMembers, exportedNames } from '../host/bindings.js';
import { jobFiles, moduleSpecifier, type HostLayout, type JobFiles } from '../host/layout.js';
import { readContractFields, readQueueEntries, type QueueEntry } from '../host/read-host.js';
import { OBJECT_MEMBERS, type FieldAnswer, type JobAnswers } from './answers.schema.js';
import { fitsInto, spellFieldType, type FieldKind } from './field-types.js';
import { jobNames, type JobNames } from './names.js';

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
  /** The field holding the webhook's URL. */
  webhookField?: string;
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

export function recipientField(
  fields: FieldAnswer[],
  kind: FieldKind,
  effect: 'email' | 'webhook',
  problems: Problem[],
  prefix: string,
): string | undefined {
  const ofKind = fields.filter((field) => field.type.kind === kind);
  const required = ofKind.find((field) => field.required);
  if (required) return required.name;
  const spelling = spellFieldType({ kind });
  const role = effect === 'email' ? 'the address to email' : 'the URL to post to';
  problems.push({
    path: `${prefix}sideEffects.${effect}`,
    message: ofKind[0]
      ? `the ${spelling} field "${ofKind[0].name}" is optional, but it holds ${role}; make it required`
      : `needs a required field of type "${spelling}" holding ${role}; add one to fields`,
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
 * Names the job adds that the modules it joins already have: the contract's exports
 * against everything the shared index exports (an `export *` of both would be
 * ambiguous, TS2308), and the names imported into the worker and the QueueService
 * against what those files already bind.
 */
function identifierClashes(
  name: string,
  names: JobNames,
  tree: VirtualTree,
  layout: HostLayout,
  prefix: string,
): Problem[] {
  const dataType = `${names.pascal}JobData`;
  const contract = [dataType, `${names.constant}_JOB`, `parse${names.pascal}JobData`];
  const problems: Problem[] = [];
  const reported = new Set<string>();
  const clash = (identifier: string, message: string): void => {
    if (reported.has(identifier)) return;
    reported.add(identifier);
    problems.push({ path: `${prefix}name`, message: `"${name}" gives ${identifier}, ${message}` });
  };
  // A contract named like the kit's (`<contractsDir>/<kebab>.job.ts`) exports its job's names.
  const contractsPrefix = `${layout.contractsDir}/`;
  const generated = (module: string): string[] | undefined => {
    if (!module.startsWith(contractsPrefix) || !module.endsWith('.job.ts')) return undefined;
    const kebab = module.slice(contractsPrefix.length, -'.job.ts'.length);
    if (!/^[a-z0-9-]+$/.test(kebab)) return undefined;
    // This job's own contract (its export line may be there already) is no other
    // module; names spelled alike have the same letters, and only those can clash.
    if (kebab === names.kebab || kebab.replace(/-/g, '') !== names.kebab.replace(/-/g, ''))
      return [];
    const other = jobNames(kebab);
    return [`${other.pascal}JobData`, `${other.constant}_JOB`, `parse${other.pascal}JobData`];
  };
  const exported = exportedNames(tree, layout.sharedIndexFile, new Set(contract), generated);
  for (const [identifier, place] of exported) {
    clash(
      identifier,
      `which ${place} already exports through ${layout.sharedIndexFile}: the shared package would export it twice; choose another name`,
    );
  }
  const shared = `${layout.scope}/shared`;
  const handlerModule = moduleSpecifier(layout.workerFile, jobFiles(layout, names).handler);
  const joins: [string, Map<string, string>][] = [
    [
      layout.workerFile,
      new Map([
        [names.handler, handlerModule],
        [dataType, shared],
      ]),
    ],
    [layout.queueServiceFile, new Map(contract.map((identifier) => [identifier, shared]))],
  ];
  for (const [file, imports] of joins) {
    for (const [identifier, place] of boundNames(tree, file, new Set(imports.keys()), imports)) {
      clash(
        identifier,
        `which ${place} already declares or imports: the kit's import of it there would clash; choose another name`,
      );
    }
  }
  return problems;
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
  const [member] = classMembers(tree, layout.queueServiceFile, names.enqueueMethod);
  if (member) {
    problems.push({
      path: `${prefix}name`,
      message: `"${name}" needs the method ${names.enqueueMethod}, which ${layout.queueServiceFile} already has (${member}); choose another name`,
    });
  }
  // Names of a job that is there already clash everywhere: its own problems say enough.
  if (problems.length === 0) problems.push(...identifierClashes(name, names, tree, layout, prefix));
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
  const emailField = sideEffects.email
    ? recipientField(answers.fields, 'email', 'email', problems, prefix)
    : undefined;
  const webhookField = sideEffects.webhook
    ? recipientField(answers.fields, 'url', 'webhook', problems, prefix)
    : undefined;
  const followUps = sideEffects.triggers.flatMap((key, index) => {
    const followUp = resolveFollowUp(
      key,
      index,
      answers,
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
    answers,
    names,
    files,
    ...(emailField ? { emailField } : {}),
    ...(webhookField ? { webhookField } : {}),
    followUps,
    steps,
  };
}

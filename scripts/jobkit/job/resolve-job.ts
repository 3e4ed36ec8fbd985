import { camelCase } from 'change-case';
import { AnswersRejectedError, HostError, type Problem } from '../core/errors.js';
import type { VirtualTree } from '../core/tree.js';
import { boundNames, classMembers, exportedNames } from '../host/bindings.js';
import { jobFiles, moduleSpecifier, type HostLayout, type JobFiles } from '../host/layout.js';
import { readEmailApi, type EmailApi } from '../host/email-api.js';
import { readRegisteredDataType, type PackageFiles } from '../host/host-types.js';
import { readContractFields, readQueueEntries, type QueueEntry } from '../host/read-host.js';
import {
  OBJECT_MEMBERS,
  RESERVED_WORDS,
  type FieldAnswer,
  type JobAnswers,
} from './answers.schema.js';
import { fitsInto, fitsTsType } from './field-types.js';
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
  /** The step that builds its data, e.g. `toNotificationEmail`. */
  mapFunction: string;
  /** Its data type, e.g. `NotificationEmailJobData`. */
  dataType: string;
  /**
   * Where its data type is declared: undefined for a kit contract (the shared package,
   * with `<KEY>_JOB` giving its queue and run policy), else the host file declaring it.
   */
  declaredIn?: string;
  /** The package to import it from instead of `declaredIn`, e.g. `@acme/shared`. */
  declaredInPackage?: string;
  /** Target field ← source field, for every field the kit could map. */
  mapping: { target: string; source: string }[];
  /** Required target fields this job's data has no match for: left to write. */
  unfilled: string[];
  /** Optional target fields that this job's data has no match for. */
  unmapped: string[];
}

/**
 * One step of the handler, in the order the job runs them: the database work, the
 * job's own steps ("other" side effects, or its purpose when it has none), the
 * email, the webhook, then the follow-up jobs.
 */
export type Step =
  | { kind: 'work'; name: string; description: string }
  | { kind: 'database'; name: 'updateDatabase'; description: string }
  | { kind: 'email'; name: 'sendEmail'; field: string }
  | { kind: 'webhook'; name: 'postWebhook'; field: string }
  | { kind: 'followUp'; name: string; followUp: FollowUp };

/** Answers checked against the repository, with everything derived from them. */
export interface ResolvedJob {
  answers: JobAnswers;
  names: JobNames;
  files: JobFiles;
  /** The field the email goes to. */
  emailField?: string;
  /** The email's field is optional: the email is sent only when the data holds it. */
  emailOptional?: boolean;
  /** How the host sends email. */
  emailApi: EmailApi;
  /** The field holding the webhook's URL. */
  webhookField?: string;
  /** The URL's field is optional: the webhook is posted only when the data holds it. */
  webhookOptional?: boolean;
  /** How each recipient was chosen, for the summary. */
  recipients: Partial<Record<RecipientRole, Recipient>>;
  followUps: FollowUp[];
  steps: Step[];
}

/** The functions of a job's `…Steps` object that a step calls: the team's code. */
export function stepFunctions(step: Step): string[] {
  switch (step.kind) {
    case 'work':
    case 'database':
      return [step.name];
    case 'email':
      return ['composeEmail'];
    case 'webhook':
      return [];
    case 'followUp':
      return [step.followUp.mapFunction];
  }
}

/**
 * Names a step cannot take, so it gets a suffix: the handler's own steps and
 * services, and the names its job function uses beside the steps' results.
 */
const FIXED_NAMES = [
  'withServiceContext',
  'updateDatabase',
  'composeEmail',
  'sendEmail',
  'postWebhook',
  'deliverWebhook',
  'enqueue',
  'run',
  'steps',
  'services',
  'durationMs',
];

/** Words a step name leaves out: `Uploads the CSV to storage` → `uploadCsvToStorage`. */
const FILLER_WORDS = new Set(['a', 'an', 'the', 'its', 'their']);

/** Words a name does not end on: `Build the report of an organization` → `buildReport`. */
const TRAILING_WORDS = new Set([
  'of',
  'for',
  'to',
  'and',
  'or',
  'with',
  'in',
  'on',
  'from',
  'by',
  'at',
]);

/** `Generates` → `Generate`, `Queries` → `Query`, `Pushes` → `Push`: steps are named as commands. */
export function imperative(verb: string): string {
  if (/[^aeiou]ies$/i.test(verb)) return verb.slice(0, -3) + 'y';
  if (/(ch|sh|ss|x|z)es$/i.test(verb)) return verb.slice(0, -2);
  if (/[^su]s$/i.test(verb)) return verb.slice(0, -1);
  return verb;
}

/** A command-like camelCase name for a side effect: `Generates the CSV file` → `generateCsvFile`. */
export function stepName(description: string, taken: Set<string>, fallback: string): string {
  const [verb = '', ...rest] = description
    .replace(/[^A-Za-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((word) => !FILLER_WORDS.has(word.toLowerCase()));
  const words = [imperative(verb), ...rest].slice(0, 5);
  while (words.length > 1 && TRAILING_WORDS.has(words[words.length - 1]?.toLowerCase() ?? '')) {
    words.pop();
  }
  let base = camelCase(words.join(' '), { mergeAmbiguousCharacters: true }) || fallback;
  if (/^\d/.test(base)) base = `step${base}`;
  // `constructor` or `toString` would clash with Object's own members; a step's
  // result is a variable, which cannot be called `delete` or `new`.
  if (OBJECT_MEMBERS.has(base) || RESERVED_WORDS.has(base)) base = `${base}Step`;
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
  if (targetFields) {
    const fields = mapFields(answers, targetFields, (source, field) =>
      fitsInto(source, field.type),
    );
    return {
      key,
      names: target,
      mapFunction: `to${target.pascal}`,
      dataType: `${target.pascal}JobData`,
      ...fields,
    };
  }
  // ForgeStack's style: the data type is declared in the handler and registered with it.
  const hostType = readRegisteredDataType(tree, layout.workerFile, key, hostPackages(layout));
  if (hostType) {
    const fields = mapFields(answers, hostType.fields, (source, field) =>
      fitsTsType(source, field.type),
    );
    return {
      key,
      names: target,
      mapFunction: `to${target.pascal}`,
      dataType: hostType.name,
      declaredIn: hostType.file,
      ...(hostType.fromPackage ? { declaredInPackage: hostType.fromPackage } : {}),
      ...fields,
    };
  }
  problems.push({
    path,
    message: `${key} has no contract ${key}_JOB with a \`data\` spec in ${contract}, and no data type the kit can read: ${layout.workerFile} registers no \`${layout.registrationHelper}<…JobData>(QUEUE_NAMES.${key}, …)\` whose type a relative import brings in and that file exports; the kit builds the follow-up's data from one of them`,
  });
  return undefined;
}

/**
 * The host's own webhook delivery, when it has one (ForgeStack queues
 * WEBHOOK_DELIVERY, signed with a secret per endpoint): a queue named by
 * `webhookDeliveryQueue` whose data type the host declares itself (a queue the kit
 * generated is a job like any other). The webhook then goes through it, its URL
 * from the job's URL field, instead of the kit's client and a second signing scheme.
 */
function webhookDelivery(
  answers: Pick<JobAnswers, 'fields'>,
  urlField: string,
  queues: readonly QueueEntry[],
  tree: VirtualTree,
  layout: HostLayout,
): FollowUp | undefined {
  const key = layout.webhookDeliveryQueue;
  if (!key || !queues.some((queue) => queue.key === key)) return undefined;
  const names = jobNames(key);
  if (readContractFields(tree, jobFiles(layout, names).contract, key)) return undefined;
  const hostType = readRegisteredDataType(tree, layout.workerFile, key, hostPackages(layout));
  if (!hostType) return undefined;
  const fields = mapFields(answers, hostType.fields, (source, field) =>
    fitsTsType(source, field.type),
  );
  const url = hostType.fields.find((field) => field.name === 'url' && field.type === 'string');
  // An optional URL field cannot fill a required `url`: that is left to write.
  const urlRequired = answers.fields.some((field) => field.name === urlField && field.required);
  if (url && urlRequired && fields.unfilled.includes('url')) {
    fields.unfilled = fields.unfilled.filter((name) => name !== 'url');
    fields.mapping.push({ target: 'url', source: urlField });
  }
  return {
    key,
    names,
    mapFunction: `to${names.pascal}`,
    dataType: hostType.name,
    declaredIn: hostType.file,
    ...(hostType.fromPackage ? { declaredInPackage: hostType.fromPackage } : {}),
    ...fields,
  };
}

/** The workspace packages a worker imports job data types from by name. */
export function hostPackages(layout: HostLayout): PackageFiles {
  return { [`${layout.scope}/shared`]: layout.sharedIndexFile };
}

/**
 * Fills a follow-up's fields from this job's data where name and type match; the
 * target's other required fields are left to write, its other optional ones empty.
 */
function mapFields<Target extends { name: string; required: boolean }>(
  answers: Pick<JobAnswers, 'fields'>,
  targetFields: readonly Target[],
  fits: (source: FieldAnswer['type'], target: Target) => boolean,
): Pick<FollowUp, 'mapping' | 'unfilled' | 'unmapped'> {
  const mapping: FollowUp['mapping'] = [];
  const unfilled: string[] = [];
  const unmapped: string[] = [];
  for (const field of targetFields) {
    const source = answers.fields.find(
      (candidate) =>
        candidate.name === field.name &&
        fits(candidate.type, field) &&
        (candidate.required || !field.required),
    );
    if (source) mapping.push({ target: field.name, source: source.name });
    else if (field.required) unfilled.push(field.name);
    else unmapped.push(field.name);
  }
  return { mapping, unfilled, unmapped };
}

/**
 * The handler's steps in the order of the side effects: the database work (the seed's
 * "query"), the job's own steps, then what tells the world: email, webhook, follow-ups.
 * A job with nothing else to do gets one step named after its purpose.
 */
function orderedSteps(
  answers: JobAnswers,
  names: JobNames,
  followUps: FollowUp[],
  emailField: string | undefined,
  webhookField: string | undefined,
  delivery: FollowUp | undefined,
): Step[] {
  const { sideEffects } = answers;
  const taken = new Set([
    ...FIXED_NAMES,
    ...[...followUps, ...(delivery ? [delivery] : [])].map((followUp) => followUp.mapFunction),
  ]);
  const work: Step[] = sideEffects.other.map((description, index) => ({
    kind: 'work',
    name: stepName(description, taken, `step${index + 1}`),
    description,
  }));
  if (work.length === 0 && !sideEffects.database && !emailField && !webhookField) {
    work.push({
      kind: 'work',
      name: stepName(answers.purpose, taken, `run${names.pascal}`),
      description: answers.purpose,
    });
  }
  return [
    ...(sideEffects.database
      ? [{ kind: 'database', name: 'updateDatabase', description: 'Updates the database' } as const]
      : []),
    ...work,
    ...(emailField ? [{ kind: 'email', name: 'sendEmail', field: emailField } as const] : []),
    ...(delivery
      ? [{ kind: 'followUp', name: 'deliverWebhook', followUp: delivery } as const]
      : webhookField
        ? [{ kind: 'webhook', name: 'postWebhook', field: webhookField } as const]
        : []),
    ...followUps.map((followUp): Step => ({
      kind: 'followUp',
      name: stepName(`queue ${followUp.names.pascal}`, taken, `queue${followUp.names.pascal}`),
      followUp,
    })),
  ];
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

  if (problems.length > 0) throw new AnswersRejectedError(problems);
  const delivery = webhook
    ? webhookDelivery({ fields }, webhook.field, queues, tree, layout)
    : undefined;
  const steps = orderedSteps(answers, names, followUps, email?.field, webhook?.field, delivery);
  const emailApi: EmailApi = email
    ? readEmailApi(tree, layout.emailServiceModule, layout.emailFunction ?? undefined)
    : { style: 'service' };
  return {
    answers: { ...answers, fields },
    names,
    files,
    ...(email ? { emailField: email.field, emailOptional: !email.required } : {}),
    // Through the host's own delivery queue, the webhook is a follow-up job.
    ...(webhook && !delivery
      ? { webhookField: webhook.field, webhookOptional: !webhook.required }
      : {}),
    emailApi,
    recipients: { ...(email ? { email } : {}), ...(webhook ? { webhook } : {}) },
    followUps: delivery ? [...followUps, delivery] : followUps,
    steps,
  };
}

import { moduleSpecifier, type HostLayout } from '../host/layout.js';
import { supportPaths } from './support-files.js';
import {
  formatHintOf,
  invalidValueOf,
  sampleValueOf,
  specLiteralOf,
  tsTypeOf,
} from './field-types.js';
import type { EmailApi } from '../host/email-api.js';
import { stringLiteral } from '../core/text.js';
import { stepFunctions, type FollowUp, type ResolvedJob, type Step } from './resolve-job.js';

/** `1000` → `1s`, `1500` → `1.5s`, `120000` → `2min`, `250` → `250ms`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(3))}s`;
  return `${ms}ms`;
}

/** The waits BullMQ leaves between tries, in order: d, 2d, 4d… or d, d, d… */
export function retryDelays(
  retries: number,
  type: 'exponential' | 'fixed',
  delayMs: number,
): number[] {
  return Array.from({ length: retries }, (_, i) =>
    type === 'exponential' ? delayMs * 2 ** i : delayMs,
  );
}

/** `1s, 2s, 4s`, shortened to the first three and the last past six retries. */
export function delaySchedule(
  retries: number,
  type: 'exponential' | 'fixed',
  delayMs: number,
): string {
  const delays = retryDelays(retries, type, delayMs).map(formatDuration);
  return delays.length > 6
    ? [...delays.slice(0, 3), '…', delays[delays.length - 1]].join(', ')
    : delays.join(', ');
}

/** `3 retries after the first try, waiting 1s, 2s, 4s (exponential backoff)` */
export function retryDescription(
  retries: number,
  type: 'exponential' | 'fixed',
  delayMs: number,
): string {
  if (retries === 0) return 'no retries: the first failure is final';
  const plural = retries === 1 ? 'retry' : 'retries';
  return `${retries} ${plural} after the first try, waiting ${delaySchedule(retries, type, delayMs)} (${type} backoff)`;
}

/** `300000` → `300_000`, as a human writes a long number literal. */
function numberLiteral(value: number): string {
  // Grouped by hand: toLocaleString would load ICU's locale data, ~10 ms per run.
  return value >= 10_000 ? String(value).replace(/\B(?=(\d{3})+$)/g, '_') : String(value);
}

/**
 * What the templates need of the email step: the host's API (the kit's
 * `emailService.send(message)` or a function such as `sendEmail(options)`), and the
 * message a test double composes, with every required member of its type.
 */
function emailData(field: string, optional: boolean, api: EmailApi, title: string) {
  // The sample data holds every field; an optional one is typed as possibly absent.
  const to = `validData.${field}${optional ? " ?? ''" : ''}`;
  const members: { name: string; value: string }[] = [];
  let complete = true;
  if (api.style === 'service') {
    members.push(
      { name: 'to', value: to },
      { name: 'subject', value: stringLiteral(title) },
      { name: 'text', value: stringLiteral('The email the team writes') },
    );
  } else {
    for (const member of api.members.filter((each) => each.required)) {
      if (member.name === 'to') members.push({ name: 'to', value: to });
      else if (member.name === 'subject')
        members.push({ name: 'subject', value: stringLiteral(title) });
      else if (member.type === 'string') {
        members.push({
          name: member.name,
          value: stringLiteral(`The ${member.name} the team writes`),
        });
      } else complete = false;
    }
  }
  const service = api.style === 'service';
  return {
    field,
    optional,
    service,
    /** The exported function the step calls (function style). */
    function: service ? '' : api.name,
    messageType: service ? 'EmailMessage' : api.optionsType,
    /** What the send service returns. */
    sentType: service ? 'Promise<SentEmail>' : `ReturnType<typeof ${api.name}>`,
    takesSignal: service || api.takesSignal,
    /** Whether the message carries the job's key, so the provider drops a repeat. */
    idempotent: service || api.members.some((member) => member.name === 'idempotencyKey'),
    returnsId: service || api.returnsId,
    resultType: service || api.returnsId ? '{ emailId: string }' : 'null',
    sampleMembers: members,
    /** A test message that leaves out required members of a type other than string needs a cast. */
    sampleComplete: complete,
  };
}

/** What the templates need of a follow-up job. */
function followUpData(followUp: FollowUp, files: ResolvedJob['files']) {
  const contract = followUp.declaredIn === undefined;
  return {
    ...followUp.names,
    mapFunction: followUp.mapFunction,
    dataType: followUp.dataType,
    contract,
    /** The host module declaring the data type, from the handler. */
    dataTypeModule:
      followUp.declaredInPackage ??
      (followUp.declaredIn ? moduleSpecifier(files.handler, followUp.declaredIn) : ''),
    dataTypeModuleFromTest:
      followUp.declaredInPackage ??
      (followUp.declaredIn ? moduleSpecifier(files.handlerTest, followUp.declaredIn) : ''),
    queue: contract ? `${followUp.key}_JOB.queue` : `QUEUE_NAMES.${followUp.key}`,
    /** A kit contract carries the target's run policy; a host queue gets BullMQ's defaults. */
    options: contract ? `${followUp.key}_JOB.options` : '{}',
    key: followUp.key,
    mapping: followUp.mapping,
    unfilled: followUp.unfilled,
    /** Whether every required field is filled: the mapping is generated whole. */
    complete: followUp.unfilled.length === 0,
    unmapped: followUp.unmapped.join(', '),
  };
}

/** What the templates need of one step, given the steps before it. */
/** The service a step reaches the world through, which the generated tests replace. */
const SERVICE_OF: Partial<Record<Step['kind'], string>> = {
  database: 'withServiceContext',
  email: 'sendEmail',
  webhook: 'postWebhook',
  followUp: 'enqueue',
};

/**
 * The services the steps before the last use and the last does not: a retry that
 * resumes at the last step must not call them again (no second email or webhook).
 */
function servicesOnlyBefore(steps: readonly Step[]): string[] {
  const lastKind = steps[steps.length - 1]?.kind;
  const last = lastKind === undefined ? undefined : SERVICE_OF[lastKind];
  const before = steps.slice(0, -1).flatMap((step) => SERVICE_OF[step.kind] ?? []);
  return [...new Set(before)].filter((service) => service !== last);
}

/** Steps whose own code gets the results of the steps before them. */
function takesEarlier(step: Step): boolean {
  return step.kind === 'work' || step.kind === 'email' || step.kind === 'followUp';
}

function handlerStep(
  step: Step,
  earlier: readonly Step[],
  later: readonly Step[],
  files: ResolvedJob['files'],
  recipients: {
    email: ReturnType<typeof emailData> | false;
    webhookOptional: boolean;
  },
) {
  const { email, webhookOptional } = recipients;
  const earlierNames = earlier.map((previous) => previous.name);
  const written = stepFunctions(step);
  return {
    name: step.name,
    /** Whether a later step takes its result, so the handler keeps it in a variable. */
    bound: later.some(takesEarlier),
    work: step.kind === 'work' ? { description: step.description } : false,
    database: step.kind === 'database',
    email: step.kind === 'email' ? { field: step.field } : false,
    webhook: step.kind === 'webhook' ? { field: step.field, optional: webhookOptional } : false,
    followUp: step.kind === 'followUp' ? followUpData(step.followUp, files) : (false as const),
    /** The functions of `…Steps` this step calls. */
    written,
    /** The results of the steps before it, handed to it: `{ queryAuditLogs, generateCsv }`. */
    earlier: earlierNames.length > 0 ? `{ ${earlierNames.join(', ')} }` : false,
    earlierPick: earlierNames.map((name) => `'${name}'`).join(' | '),
    earlierNames,
    /** What a test double of this step returns. */
    sampleResult: (() => {
      switch (step.kind) {
        case 'email':
          return email && !email.returnsId ? 'null' : `{ emailId: 'email-1' }`;
        case 'webhook':
          return '{ status: 202 }';
        case 'followUp':
          return `{ jobId: 'follow-up-1' }`;
        default:
          return `{ from: '${step.name}' }`;
      }
    })(),
    resultType: (() => {
      switch (step.kind) {
        case 'email': {
          const sent = email ? email.resultType : '{ emailId: string }';
          return email && email.optional && sent !== 'null' ? `${sent} | null` : sent;
        }
        case 'webhook':
          return webhookOptional ? '{ status: number } | null' : '{ status: number }';
        case 'followUp':
          return '{ jobId: string }';
        default:
          return 'Json';
      }
    })(),
  };
}

/** Everything the job templates read. Names are flat at the top level so templates stay short. */
export function jobTemplateData(job: ResolvedJob, layout: HostLayout) {
  const { answers, names, files } = job;
  const support = supportPaths(layout);
  const { retries, backoff, timeoutSeconds, priority, sideEffects } = answers;
  const fields = answers.fields.map((field, index) => {
    const hint = formatHintOf(field.type);
    const comment = [field.description, hint && (field.description ? `(${hint})` : hint)]
      .filter(Boolean)
      .join(' ');
    return {
      name: field.name,
      tsType: tsTypeOf(field.type),
      optionalMark: field.required ? '' : '?',
      spec: specLiteralOf(field.type, field.required),
      comment,
      sample: sampleValueOf(field.type, index),
      invalid: invalidValueOf(field.type),
    };
  });
  const email = job.emailField
    ? emailData(job.emailField, job.emailOptional ?? false, job.emailApi, names.title)
    : false;
  const steps = job.steps.map((step, index) =>
    handlerStep(step, job.steps.slice(0, index), job.steps.slice(index + 1), files, {
      email,
      webhookOptional: job.webhookOptional ?? false,
    }),
  );
  const last = steps[steps.length - 1];
  const followUps = steps.flatMap((step) => (step.followUp ? [step.followUp] : []));
  return {
    ...names,
    /** `a` or `an`, for prose that names the job: "an Audit log export job". */
    article: /^[aeiou]/i.test(names.title) ? 'an' : 'a',
    scope: layout.scope,
    purpose: answers.purpose,
    trigger: answers.trigger,
    fields,
    hasFields: fields.length > 0,
    invalidField: fields[0] ?? false,
    retries,
    attempts: retries + 1,
    willRetry: retries > 0,
    backoffType: backoff.type,
    delayMs: backoff.delayMs,
    retryText: retryDescription(retries, backoff.type, backoff.delayMs),
    timeoutSeconds,
    timeoutMs: numberLiteral(timeoutSeconds * 1000),
    priority,
    database: sideEffects.database,
    /** Whether any step reaches the world through a service the tests replace. */
    hasServices: job.steps.some((step) => step.kind !== 'work'),
    email,
    webhook: job.webhookField
      ? { field: job.webhookField, optional: job.webhookOptional ?? false }
      : false,
    followUps,
    hasFollowUps: followUps.length > 0,
    /** Follow-ups whose data type is a kit contract, imported from the shared package. */
    contractFollowUps: followUps.filter((followUp) => followUp.contract),
    /** Follow-ups whose data type a host file declares, imported from it. */
    hostFollowUps: followUps.filter((followUp) => !followUp.contract),
    steps,
    /** Whether a step holds the `notWritten` placeholder (every step but follow-ups and webhooks). */
    usesNotWritten: job.steps.some((step) => step.kind !== 'followUp' && step.kind !== 'webhook'),
    /** Whether a step's result is still plain JSON, for the team to give it a shape. */
    usesJson: steps.some((step) => step.resultType === 'Json'),
    /** Whether a follow-up leaves a field to write. */
    usesFieldNotWritten: followUps.some((followUp) => !followUp.complete),
    /** Steps the team writes: the handler's `…Steps` object. */
    writtenSteps: steps.flatMap((step) => step.written),
    /**
     * The spec's resume test, for jobs of two steps or more: the last step fails, the
     * retry skips the ones before it.
     */
    resumable:
      last && steps.length > 1
        ? {
            // The last step's own code fails, or its service when it has none (a
            // webhook): a service that several steps share would fail them all.
            failingKind: last.written[0] ? 'steps' : 'services',
            failing: last.written[0] ?? 'postWebhook',
            before: last.earlierNames,
            beforeWritten: steps.slice(0, -1).flatMap((step) => step.written),
            // The services only the earlier steps use: a retry must not call them again
            // (no second email, webhook or follow-up).
            beforeServices: servicesOnlyBefore(job.steps),
          }
        : false,
    /** The test runs the generated follow-up mappings, which are complete and pure. */
    testUsesDefaults: followUps.some((followUp) => followUp.complete),
    vitest: layout.testRunner === 'vitest',
    mockFn: layout.testRunner === 'vitest' ? 'vi.fn' : 'jest.fn',
    registrationHelper: layout.registrationHelper,
    enqueueViaAddJob: layout.enqueueVia === 'addJob',
    tracing: layout.tracing ?? false,
    modules: {
      handlerFromTest: moduleSpecifier(files.handlerTest, files.handler),
      contractFromIndex: moduleSpecifier(layout.sharedIndexFile, files.contract),
      handlerFromWorker: moduleSpecifier(layout.workerFile, files.handler),
      jobData: moduleSpecifier(files.contract, support.jobData),
      jobDefinition: moduleSpecifier(files.contract, support.jobDefinition),
      queues: moduleSpecifier(files.contract, layout.queuesFile),
      jobSteps: moduleSpecifier(files.handler, support.jobSteps),
      jobStepsFromTest: moduleSpecifier(files.handlerTest, support.jobSteps),
      queuesFromHandler: moduleSpecifier(files.handler, layout.queuesFile),
      producer: moduleSpecifier(files.handler, support.producer),
      emailService: moduleSpecifier(files.handler, layout.emailServiceModule),
      webhookClient: moduleSpecifier(files.handler, layout.webhookClientModule),
      logger: moduleSpecifier(files.handler, layout.loggerModule),
      tracing: layout.tracing ? moduleSpecifier(files.handler, layout.tracing.module) : '',
    },
  };
}

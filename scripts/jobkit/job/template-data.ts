import { moduleSpecifier, type HostLayout } from '../host/layout.js';
import { supportPaths } from './support-files.js';
import {
  formatHintOf,
  invalidValueOf,
  sampleValueOf,
  specLiteralOf,
  tsTypeOf,
} from './field-types.js';
import type { ResolvedJob } from './resolve-job.js';

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
  const failingSteps = [
    'perform',
    ...(sideEffects.database ? ['updateDatabase'] : []),
    ...job.steps.map((step) => step.name),
    ...(job.emailField ? ['sendEmail'] : []),
    ...(job.webhookField ? ['postWebhook'] : []),
    ...(job.followUps.length > 0 ? ['enqueue'] : []),
  ];
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
    email: job.emailField ? { field: job.emailField, optional: job.emailOptional ?? false } : false,
    webhook: job.webhookField
      ? { field: job.webhookField, optional: job.webhookOptional ?? false }
      : false,
    followUps: job.followUps.map((followUp) => ({
      ...followUp.names,
      mapFunction: followUp.mapFunction,
      mapping: followUp.mapping,
      unmapped: followUp.unmapped.join(', '),
    })),
    hasFollowUps: job.followUps.length > 0,
    steps: job.steps,
    /** Whether the handler needs the key that makes side effects idempotent. */
    usesJobKey: Boolean(job.emailField || job.webhookField || job.followUps.length > 0),
    failingSteps,
    /** The test reuses the real composeEmail and follow-up mappings, which are pure. */
    testUsesDefaults: Boolean(job.emailField || job.followUps.length > 0),
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
      jobOutcome: moduleSpecifier(files.handler, support.jobOutcome),
      jobTimeout: moduleSpecifier(files.handler, support.jobTimeout),
      producer: moduleSpecifier(files.handler, support.producer),
      emailService: moduleSpecifier(files.handler, layout.emailServiceModule),
      webhookClient: moduleSpecifier(files.handler, layout.webhookClientModule),
      logger: moduleSpecifier(files.handler, layout.loggerModule),
      tracing: layout.tracing ? moduleSpecifier(files.handler, layout.tracing.module) : '',
    },
  };
}

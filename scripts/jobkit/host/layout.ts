import type { JobNames } from '../job/names.js';

/**
 * Where the parts of a job live in the host repository (paths relative to its
 * root) and how the host is written. Every key can be set in the `jobkit` section
 * of the root package.json; what is not set is detected or defaulted (config.ts).
 */
export interface HostLayout {
  /** npm scope of the workspace packages, e.g. `@forgestack`: imports use `<scope>/shared` and `<scope>/db`. */
  scope: string;
  queuesFile: string;
  sharedIndexFile: string;
  contractsDir: string;
  handlersDir: string;
  handlerTestsDir: string;
  workerFile: string;
  /** Where the kit keeps the worker-side helpers its handlers import (created when missing). */
  workerRuntimeDir: string;
  /** The module exporting `createLogger(name)`. */
  loggerModule: string;
  /** The module the email step sends through: `emailService.send(message)`, or a function such as `sendEmail(options)`. */
  emailServiceModule: string;
  /** Which exported function of `emailServiceModule` sends email, when it exports several (null: detected). */
  emailFunction: string | null;
  /** Where the kit keeps its signed-webhook client (created when a job first needs it). */
  webhookClientModule: string;
  /**
   * The queue through which the host delivers outgoing webhooks itself; used for a
   * job's webhook when the host declares its data type (null: always the kit's client).
   */
  webhookDeliveryQueue: string | null;
  queueServiceFile: string;
  /** The test runner of the worker package. */
  testRunner: 'vitest' | 'jest';
  /** The function worker.ts registers each queue with: `<helper><Data>(QUEUE_NAMES.X, handleX);`. */
  registrationHelper: string;
  /** How the generated enqueue method adds the job: through `addJob` (when it takes BullMQ's options) or `getQueue(name).add`. */
  enqueueVia: 'addJob' | 'getQueue';
  /** A wrapper every handler runs in, called as `<export>('<queue-name>', async () => …)`. */
  tracing: { module: string; export: string } | null;
}

export const DEFAULT_LAYOUT: HostLayout = {
  scope: '@forgestack',
  queuesFile: 'packages/shared/src/queues.ts',
  sharedIndexFile: 'packages/shared/src/index.ts',
  contractsDir: 'packages/shared/src/jobs',
  handlersDir: 'apps/worker/src/handlers',
  handlerTestsDir: 'apps/worker/src/handlers/__tests__',
  workerFile: 'apps/worker/src/worker.ts',
  workerRuntimeDir: 'apps/worker/src/runtime',
  loggerModule: 'apps/worker/src/telemetry/logger.ts',
  emailServiceModule: 'apps/worker/src/services/email.service.ts',
  emailFunction: null,
  webhookClientModule: 'apps/worker/src/services/webhook.client.ts',
  webhookDeliveryQueue: 'WEBHOOK_DELIVERY',
  queueServiceFile: 'apps/api/src/queue/queue.service.ts',
  testRunner: 'vitest',
  registrationHelper: 'createWorker',
  enqueueVia: 'addJob',
  tracing: null,
};

/** The files a job owns outright: created by the generator, deleted by removal. */
export interface JobFiles {
  contract: string;
  handler: string;
  handlerTest: string;
}

export function jobFiles(layout: HostLayout, names: Pick<JobNames, 'kebab'>): JobFiles {
  return {
    contract: `${layout.contractsDir}/${names.kebab}.job.ts`,
    handler: `${layout.handlersDir}/${names.kebab}.handler.ts`,
    handlerTest: `${layout.handlerTestsDir}/${names.kebab}.handler.spec.ts`,
  };
}

/**
 * A file in each place a new job is written to: the shared files it edits and, in
 * each folder its own files go, a file of the kind it creates there.
 */
export function placesWritten(layout: HostLayout): string[] {
  return [
    layout.queuesFile,
    layout.sharedIndexFile,
    layout.workerFile,
    layout.queueServiceFile,
    ...Object.values(jobFiles(layout, { kebab: 'new' })),
  ];
}

/** `from` → `to` as a relative module specifier without extension, e.g. `../handlers/x.handler`. */
export function moduleSpecifier(from: string, to: string): string {
  const fromParts = from.split('/').slice(0, -1);
  const toParts = to.replace(/\.ts$/, '').split('/');
  let common = 0;
  while (common < fromParts.length && fromParts[common] === toParts[common]) common += 1;
  const up = fromParts.length - common;
  const rest = toParts.slice(common).join('/');
  return up === 0 ? `./${rest}` : `${'../'.repeat(up)}${rest}`;
}

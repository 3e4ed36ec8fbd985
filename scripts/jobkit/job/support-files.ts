import { dirname } from 'node:path';
import { moduleSpecifier, type HostLayout } from '../host/layout.js';
import type { ResolvedJob } from './resolve-job.js';

/**
 * The helper modules generated jobs import: data contracts in the shared package,
 * validation, timeouts, follow-up producer and signed webhooks in the worker. A host
 * that does not have one yet gets it from `plop-templates/support/` with its first
 * job that needs it; one that has it keeps its own.
 */
export function supportPaths(layout: HostLayout) {
  const sharedDir = dirname(layout.queuesFile);
  return {
    jobData: `${sharedDir}/job-data.ts`,
    jobDefinition: `${sharedDir}/job-definition.ts`,
    jobOutcome: `${layout.workerRuntimeDir}/job-outcome.ts`,
    jobTimeout: `${layout.workerRuntimeDir}/job-timeout.ts`,
    jobSteps: `${layout.workerRuntimeDir}/job-steps.ts`,
    producer: `${layout.workerRuntimeDir}/producer.ts`,
    redis: `${layout.workerRuntimeDir}/redis.ts`,
    webhookClient: layout.webhookClientModule,
  };
}

export interface SupportFile {
  path: string;
  template: string;
}

/** The support files `jobs` need, each with the template it comes from. */
export function supportFiles(layout: HostLayout, jobs: readonly ResolvedJob[]): SupportFile[] {
  const paths = supportPaths(layout);
  const files: SupportFile[] = [
    { path: paths.jobData, template: 'support/packages/shared/src/job-data.ts.hbs' },
    { path: paths.jobDefinition, template: 'support/packages/shared/src/job-definition.ts.hbs' },
    { path: paths.jobOutcome, template: 'support/apps/worker/src/runtime/job-outcome.ts.hbs' },
    { path: paths.jobTimeout, template: 'support/apps/worker/src/runtime/job-timeout.ts.hbs' },
    { path: paths.jobSteps, template: 'support/apps/worker/src/runtime/job-steps.ts.hbs' },
  ];
  if (jobs.some((job) => job.followUps.length > 0)) {
    files.push(
      { path: paths.producer, template: 'support/apps/worker/src/runtime/producer.ts.hbs' },
      { path: paths.redis, template: 'support/apps/worker/src/runtime/redis.ts.hbs' },
    );
  }
  if (jobs.some((job) => job.webhookField)) {
    files.push({
      path: paths.webhookClient,
      template: 'support/apps/worker/src/services/webhook.client.ts.hbs',
    });
  }
  return files;
}

/** What the support templates read. */
export function supportTemplateData(layout: HostLayout) {
  const paths = supportPaths(layout);
  return {
    scope: layout.scope,
    modules: { queuesFromSupport: moduleSpecifier(paths.jobDefinition, layout.queuesFile) },
  };
}

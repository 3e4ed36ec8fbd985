import type { JobNames } from '../job/names.js';

/**
 * Where the parts of a job live in the host repository, relative to its root.
 * These are the defaults of a ForgeStack checkout.
 */
export interface HostLayout {
  /** npm scope of the workspace packages, e.g. `@forgestack`. */
  scope: string;
  queuesFile: string;
  sharedIndexFile: string;
  contractsDir: string;
  handlersDir: string;
  handlerTestsDir: string;
  workerFile: string;
  queueServiceFile: string;
  testRunner: 'vitest' | 'jest';
}

export const DEFAULT_LAYOUT: HostLayout = {
  scope: '@forgestack',
  queuesFile: 'packages/shared/src/queues.ts',
  sharedIndexFile: 'packages/shared/src/index.ts',
  contractsDir: 'packages/shared/src/jobs',
  handlersDir: 'apps/worker/src/handlers',
  handlerTestsDir: 'apps/worker/src/handlers/__tests__',
  workerFile: 'apps/worker/src/worker.ts',
  queueServiceFile: 'apps/api/src/queue/queue.service.ts',
  testRunner: 'vitest',
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

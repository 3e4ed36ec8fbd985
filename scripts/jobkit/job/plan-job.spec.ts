import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnswersRejectedError } from '../core/errors.js';
import { createTemplateEngine } from '../core/templates.js';
import { memorySource } from '../../../test/support/memory-source.js';
import { VirtualTree } from '../core/tree.js';
import { DEFAULT_LAYOUT } from '../host/layout.js';
import { planJobs } from './plan-job.js';
import { supportPaths } from './support-files.js';
import { validateAnswers } from './validate-answers.js';

/**
 * The planner is pure: it reads through a VirtualTree and writes only to it. These
 * plans run over an in-memory copy of the host's four edited files and its helpers.
 */

const kitRoot = fileURLToPath(new URL('../../..', import.meta.url));
const engine = createTemplateEngine(`${kitRoot}/plop-templates`);
const support = supportPaths(DEFAULT_LAYOUT);
const HOST_FILES = [
  DEFAULT_LAYOUT.queuesFile,
  DEFAULT_LAYOUT.sharedIndexFile,
  DEFAULT_LAYOUT.workerFile,
  DEFAULT_LAYOUT.queueServiceFile,
  // The host's own helper modules, so the plan does not add them.
  support.jobData,
  support.jobDefinition,
  support.jobOutcome,
  support.jobTimeout,
  support.jobSteps,
];
const host = Object.fromEntries(
  HOST_FILES.map((file) => [file, readFileSync(`${kitRoot}/${file}`, 'utf8')]),
);

function plan(answers: unknown, files: Record<string, string> = host) {
  return planJobs(
    validateAnswers(answers),
    new VirtualTree(memorySource(files)),
    DEFAULT_LAYOUT,
    engine,
  );
}

function refusal(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof AnswersRejectedError)
      return error.problems.map((problem) => `${problem.path}: ${problem.message}`);
    throw error;
  }
  return [];
}

const minimal = { name: 'Cache Warmup', purpose: 'Warms', trigger: 'After deploys' };

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('planJobs', () => {
  it('plans three new files and four edits, all in memory', () => {
    const { changes } = plan(minimal);
    expect(changes.map((change) => [change.path, change.before === null])).toEqual([
      [DEFAULT_LAYOUT.queuesFile, false],
      ['packages/shared/src/jobs/cache-warmup.job.ts', true],
      [DEFAULT_LAYOUT.sharedIndexFile, false],
      ['apps/worker/src/handlers/cache-warmup.handler.ts', true],
      ['apps/worker/src/handlers/__tests__/cache-warmup.handler.spec.ts', true],
      [DEFAULT_LAYOUT.workerFile, false],
      [DEFAULT_LAYOUT.queueServiceFile, false],
    ]);
  });

  it('skips a line that is already there, compared literally', () => {
    const exportLine = "export * from './jobs/cache-warmup.job';";
    const importLine = "import { handleCacheWarmup } from './handlers/cache-warmup.handler';";
    const registration =
      '  createWorker<CacheWarmupJobData>(QUEUE_NAMES.CACHE_WARMUP, handleCacheWarmup);';
    const worker = (host[DEFAULT_LAYOUT.workerFile] ?? '')
      .replace(
        "import { createLogger } from './telemetry/logger';",
        (line) => `${line}\n${importLine}`,
      )
      .replace(/(  createWorker<WebhookDeliveryJobData>[^\n]*\n)/, `$1${registration}\n`);
    const files = {
      ...host,
      [DEFAULT_LAYOUT.sharedIndexFile]: `${host[DEFAULT_LAYOUT.sharedIndexFile] ?? ''}${exportLine}\n`,
      [DEFAULT_LAYOUT.workerFile]: worker,
    };
    const { changes } = plan(minimal, files);
    const after = (path: string) => changes.find((change) => change.path === path)?.after ?? '';
    expect(changes.some((change) => change.path === DEFAULT_LAYOUT.sharedIndexFile)).toBe(false);
    expect(count(after(DEFAULT_LAYOUT.workerFile), importLine)).toBe(1);
    expect(count(after(DEFAULT_LAYOUT.workerFile), registration.trim())).toBe(1);
  });

  it('refuses two jobs of a batch that would share a queue, files or types', () => {
    expect(refusal(() => plan([minimal, { ...minimal, name: 'cache-warmup' }]))).toEqual([
      `[1].name: "cache-warmup" becomes CACHE_WARMUP ('cache-warmup'), like job [0] "Cache Warmup" of this batch; give each job its own name`,
    ]);
  });

  it('lets a later job of a batch trigger an earlier one', () => {
    const { jobs } = plan([
      minimal,
      { ...minimal, name: 'Cache Report', sideEffects: { triggers: ['CACHE_WARMUP'] } },
    ]);
    expect(jobs[1]?.followUps.map((followUp) => followUp.key)).toEqual(['CACHE_WARMUP']);
  });

  it('collects the problems of every job of a batch before refusing', () => {
    expect(
      refusal(() =>
        plan([
          { ...minimal, name: 'Welcome Email' },
          { ...minimal, name: 'Other', sideEffects: { triggers: ['NOPE'] } },
        ]),
      ).map((problem) => problem.split(':')[0]),
      // The queue and the enqueue method exist; this in-memory host has no job files.
    ).toEqual(['[0].name', '[0].name', '[1].sideEffects.triggers[0]']);
  });

  it('plans a job after the jobs of its batch it triggers, whatever the order of the batch', () => {
    const report = { name: 'Cache Report', purpose: 'Reports', trigger: 'After a warm-up' };
    const triggering = { ...report, sideEffects: { triggers: ['CACHE_WARMUP'] } };
    const forwards = plan([minimal, triggering]);
    const backwards = plan([triggering, minimal]);
    expect(backwards.jobs.map((job) => job.names.constant)).toEqual([
      'CACHE_WARMUP',
      'CACHE_REPORT',
    ]);
    expect(backwards.changes).toEqual(forwards.changes);
  });
});

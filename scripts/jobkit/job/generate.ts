import { join } from 'node:path';
import { applyChanges } from '../core/apply.js';
import type { CommitFs } from '../core/commit.js';
import { takeRepository } from '../core/take-repository.js';
import { emptyReport, recordError, type RunReport } from '../core/report.js';
import { createTemplateEngine } from '../core/templates.js';
import { startTestRunner, vitestProjectOf, type StartedTestRunner } from '../core/verify.js';
import { diskSource, VirtualTree, type FileChange } from '../core/tree.js';
import { loadLayout } from '../host/config.js';
import type { HostLayout } from '../host/layout.js';
import { hashesOf, manifestChange } from './manifest.js';
import { planJobs } from './plan-job.js';
import { describeRecipient } from './recipients.js';
import { stepFunctions, type ResolvedJob } from './resolve-job.js';
import { validateAnswers } from './validate-answers.js';

export interface GenerateOptions {
  /** The repository to write into. */
  root: string;
  /** Where the kit lives: its `plop-templates/` folder is read from here. */
  kitRoot: string;
  /** Parsed answers: one job's object, or an array of them. */
  answers: unknown;
  dryRun?: boolean;
  /** Type-check and run the generated tests after writing (default true). */
  verify?: boolean;
  /** Keep the written files when verification fails, instead of rolling back. */
  keep?: boolean;
  /** File operations of the commit; tests inject failures here. */
  fs?: CommitFs;
}

/** The functions of a job's `…Steps` still holding a placeholder (a complete follow-up mapping is written). */
export function stepsToWrite(job: ResolvedJob): string[] {
  return job.steps.flatMap((step) =>
    step.kind === 'followUp' && step.followUp.unfilled.length === 0 ? [] : stepFunctions(step),
  );
}

function nextSteps(job: ResolvedJob): string[] {
  const steps = stepsToWrite(job);
  const { email, webhook } = job.recipients;
  return [
    ...(email ? [`${job.names.constant}: emails ${describeRecipient(email, 'email')}`] : []),
    ...(webhook
      ? [`${job.names.constant}: posts its webhook to ${describeRecipient(webhook, 'webhook')}`]
      : []),
    ...(steps.length > 0
      ? [
          `${job.names.constant}: write the business logic in ${job.files.handler}, in ${job.names.camel}Steps: ${steps.join(', ')}`,
        ]
      : []),
    `${job.names.constant}: queue it from the API with queueService.${job.names.enqueueMethod}(data)`,
  ];
}

/** `changes` and the record of the files each job created, as they will be written. */
function withManifest(
  tree: VirtualTree,
  changes: FileChange[],
  jobs: readonly ResolvedJob[],
): FileChange[] {
  const record = manifestChange(
    tree,
    Object.fromEntries(
      jobs.map((job) => [job.names.constant, hashesOf(changes, Object.values(job.files))]),
    ),
  );
  return record ? [...changes, record] : changes;
}

/**
 * Vitest loads itself while the job is planned and formatted, so only the tests are
 * left to run once the files are written: the one overlap of a run, started once the
 * answers are planned (a refused run starts no process) and ended whatever happens.
 */
class TestRunnerWarmUp {
  private starting: Promise<StartedTestRunner> | undefined;

  start(root: string, kitRoot: string): void {
    this.starting = startTestRunner(root, kitRoot);
    // Its failure is reported where it is awaited, or not at all if no tests run.
    this.starting.catch(() => undefined);
  }

  /** The runner, told its project; none when the host's tests run with jest. */
  async forProject(root: string, layout: HostLayout): Promise<StartedTestRunner | undefined> {
    const project = vitestProjectOf(root, layout.handlerTestsDir, layout.testRunner);
    if (!this.starting || project === undefined) return undefined;
    const runner = await this.starting;
    runner.useProject(project);
    return runner;
  }

  /** Awaited: a caller may end the process at once (plop does on failure). */
  async stop(): Promise<void> {
    await this.starting?.then(
      (runner) => runner.dispose(),
      () => undefined,
    );
  }
}

/**
 * Runs the job generator end to end, as its steps: answers → names and types → plan
 * on a virtual tree → format → commit → verify (rolling back on failure) → report.
 * Never throws: the report carries the outcome and the exit code.
 */
export async function generateJobs(options: GenerateOptions): Promise<RunReport> {
  const { root, kitRoot, dryRun = false, verify = true, keep = false, fs } = options;
  const report = emptyReport('generate', dryRun);
  const warmUp = new TestRunnerWarmUp();
  let release: (() => void) | undefined;
  try {
    const answers = validateAnswers(options.answers);
    if (!dryRun) release = await takeRepository(root, report);
    const tree = new VirtualTree(diskSource(root));
    const layout = loadLayout(root, tree);
    const templates = createTemplateEngine(join(kitRoot, 'plop-templates'));
    const plan = planJobs(answers, tree, layout, templates);
    // Only now is nothing left that can refuse the answers.
    if (verify && !dryRun) warmUp.start(root, kitRoot);
    report.jobs = plan.jobs.map((job) => ({
      name: job.answers.name,
      constant: job.names.constant,
      queue: job.names.kebab,
    }));
    const startedRunner = await warmUp.forProject(root, layout);
    // Format, then commit and verify (or print the diff of a dry run).
    await applyChanges(
      plan.changes,
      {
        root,
        dryRun,
        verify,
        keep,
        testRunner: layout.testRunner,
        ...(startedRunner ? { startedRunner } : {}),
        ...(fs ? { fs } : {}),
        meta: { command: 'generate', jobs: plan.jobs.map((job) => job.names.constant) },
        finalize: (changes) => withManifest(tree, changes, plan.jobs),
      },
      report,
    );
    report.nextSteps = plan.jobs.flatMap(nextSteps);
    report.ok = true;
    report.exitCode = 0;
  } catch (error) {
    recordError(report, error);
  } finally {
    await warmUp.stop();
    release?.();
  }
  return report;
}

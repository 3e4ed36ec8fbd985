import { runActions } from '../core/actions.js';
import { AnswersRejectedError, type Problem } from '../core/errors.js';
import type { TemplateEngine } from '../core/templates.js';
import type { FileChange, VirtualTree } from '../core/tree.js';
import type { HostLayout } from '../host/layout.js';
import { jobActions } from './actions.js';
import type { JobAnswers } from './answers.schema.js';
import { jobNames, type JobNames } from './names.js';
import { resolveJob, type ResolvedJob } from './resolve-job.js';

/**
 * The batch's indexes in an order where a job another job of the batch triggers is
 * planned before it (its queue must exist by then), so the order in which a batch
 * lists its jobs does not matter. Otherwise the batch's own order; a cycle keeps it.
 */
function followUpsFirst(answers: readonly JobAnswers[]): number[] {
  const byConstant = new Map(answers.map((job, index) => [jobNames(job.name).constant, index]));
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (index: number): void => {
    if (state.has(index)) return;
    state.set(index, 'visiting');
    for (const trigger of answers[index]?.sideEffects.triggers ?? []) {
      const target = byConstant.get(trigger);
      if (target !== undefined && target !== index) visit(target);
    }
    state.set(index, 'done');
    order.push(index);
  };
  answers.forEach((_, index) => visit(index));
  return order;
}

export interface JobPlan {
  jobs: ResolvedJob[];
  /** Unformatted; the caller formats them (prettier is asynchronous). */
  changes: FileChange[];
}

/**
 * Answers → the file changes that add the jobs: the pure core of the generator. It
 * reads through `tree` and writes only to it, so nothing touches the disk. Jobs of a
 * batch are planned one after another on the same tree, each after the jobs of the
 * batch it triggers (see followUpsFirst). Every job's problems are collected before
 * anything is refused.
 */
export function planJobs(
  answers: readonly JobAnswers[],
  tree: VirtualTree,
  layout: HostLayout,
  templates: TemplateEngine,
): JobPlan {
  const jobs: ResolvedJob[] = [];
  const problems: Problem[] = [];
  // The first job of the batch to claim each constant, queue name and type name.
  const claimed = new Map<string, number>();
  answers.forEach((job, index) => {
    const { constant, kebab, pascal } = jobNames(job.name);
    for (const key of [`c:${constant}`, `k:${kebab}`, `p:${pascal}`])
      if (!claimed.has(key)) claimed.set(key, index);
  });
  const firstWithNames = ({ constant, kebab, pascal }: JobNames): number =>
    Math.min(
      ...[`c:${constant}`, `k:${kebab}`, `p:${pascal}`].map((key) => claimed.get(key) ?? Infinity),
    );
  for (const index of followUpsFirst(answers)) {
    const job = answers[index] as JobAnswers;
    const prefix = answers.length > 1 ? `[${index}].` : '';
    const names = jobNames(job.name);
    const twin = firstWithNames(names);
    if (twin !== index) {
      problems.push({
        path: `${prefix}name`,
        message: `"${job.name}" becomes ${names.constant} ('${names.kebab}'), like job [${twin}] "${answers[twin]?.name ?? ''}" of this batch; give each job its own name`,
      });
      continue;
    }
    try {
      const resolved = resolveJob(job, tree, layout, prefix);
      runActions(tree, jobActions(resolved, layout, templates));
      jobs.push(resolved);
    } catch (error) {
      if (!(error instanceof AnswersRejectedError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new AnswersRejectedError(problems);
  return { jobs, changes: tree.changes() };
}

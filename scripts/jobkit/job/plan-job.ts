import { runActions } from '../core/actions.js';
import { AnswersRejectedError, type Problem } from '../core/errors.js';
import type { TemplateEngine } from '../core/templates.js';
import type { FileChange, VirtualTree } from '../core/tree.js';
import type { HostLayout } from '../host/layout.js';
import { jobActions } from './actions.js';
import type { JobAnswers } from './answers.schema.js';
import { jobNames, type JobNames } from './names.js';
import { resolveJob, type ResolvedJob } from './resolve-job.js';

/** Two names that would produce the same queue, files or identifiers. */
function sameJob(a: JobNames, b: JobNames): boolean {
  return a.constant === b.constant || a.kebab === b.kebab || a.pascal === b.pascal;
}

export interface JobPlan {
  jobs: ResolvedJob[];
  /** Unformatted; the caller formats them (prettier is asynchronous). */
  changes: FileChange[];
}

/**
 * Answers → the file changes that add the jobs: the pure core of the generator. It
 * reads through `tree` and writes only to it, so nothing touches the disk. Jobs of a
 * batch are planned one after another on the same tree, so a later job sees the
 * earlier ones (and may trigger them). Every job's problems are collected before
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
  answers.forEach((job, index) => {
    const prefix = answers.length > 1 ? `[${index}].` : '';
    const names = jobNames(job.name);
    const twin = answers.slice(0, index).findIndex((other) => sameJob(jobNames(other.name), names));
    if (twin !== -1) {
      problems.push({
        path: `${prefix}name`,
        message: `"${job.name}" becomes ${names.constant} ('${names.kebab}'), like job [${twin}] "${answers[twin]?.name ?? ''}" of this batch; give each job its own name`,
      });
      return;
    }
    try {
      const resolved = resolveJob(job, tree, layout, prefix);
      runActions(tree, jobActions(resolved, layout, templates));
      jobs.push(resolved);
    } catch (error) {
      if (!(error instanceof AnswersRejectedError)) throw error;
      problems.push(...error.problems);
    }
  });
  if (problems.length > 0) throw new AnswersRejectedError(problems);
  return { jobs, changes: tree.changes() };
}

import { AnswersRejectedError, KitError, exitCodeOf, type Problem } from './errors.js';
import type { CheckResult } from './format.js';
import type { FileChange } from './tree.js';

/** What a run did, for the human summary and for `--json`. */
export interface RunReport {
  ok: boolean;
  exitCode: 0 | 1 | 2;
  command: 'generate' | 'remove';
  dryRun: boolean;
  jobs: { name: string; constant: string; queue: string }[];
  files: { created: string[]; modified: string[]; deleted: string[] };
  checks: CheckResult[];
  errors: { path?: string; file?: string; message: string }[];
  /** Files were written, then put back because a check failed. */
  rolledBack: boolean;
  /** Unified diff of every change, for `--dry-run`. */
  diff?: string;
  /** Where to go next: the business-logic steps to fill in. */
  nextSteps: string[];
}

export function emptyReport(command: RunReport['command'], dryRun: boolean): RunReport {
  return {
    ok: false,
    exitCode: 1,
    command,
    dryRun,
    jobs: [],
    files: { created: [], modified: [], deleted: [] },
    checks: [],
    errors: [],
    rolledBack: false,
    nextSteps: [],
  };
}

export function recordFiles(report: RunReport, changes: readonly FileChange[]): void {
  report.files = {
    created: changes.filter((c) => c.before === null).map((c) => c.path),
    modified: changes.filter((c) => c.before !== null && c.after !== null).map((c) => c.path),
    deleted: changes.filter((c) => c.after === null).map((c) => c.path),
  };
}

/** Turns an error into report entries and the exit code; unexpected errors keep their stack. */
export function recordError(report: RunReport, error: unknown): void {
  report.ok = false;
  report.exitCode = exitCodeOf(error);
  if (error instanceof AnswersRejectedError) {
    report.errors.push(
      ...error.problems.map((problem: Problem) => ({
        path: problem.path,
        message: problem.message,
      })),
    );
  } else if (error instanceof KitError) {
    report.errors.push({ ...(error.file ? { file: error.file } : {}), message: error.message });
  } else {
    report.errors.push({
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}

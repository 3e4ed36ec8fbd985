import { AnswersRejectedError, KitError, exitCodeOf, type Problem } from './errors.js';
import type { CheckResult } from './format.js';
import { relative } from 'node:path';
import { describeFsError, isFsError } from './files.js';
import type { RestoreOutcome } from './journal.js';
import type { FileChange } from './tree.js';

/** What a run did, for the human summary and for `--json`. */
export interface RunReport {
  ok: boolean;
  exitCode: 0 | 1 | 2;
  command: 'generate' | 'remove' | 'recover';
  dryRun: boolean;
  jobs: { name: string; constant: string; queue: string }[];
  files: { created: string[]; modified: string[]; deleted: string[] };
  checks: CheckResult[];
  errors: { path?: string; file?: string; message: string }[];
  /** Files were written, then put back because a check failed. */
  rolledBack: boolean;
  /** What putting back did: the files restored, and those kept because a person changed them. */
  restore?: RestoreOutcome;
  /** Files were written and a check failed, and `--keep` kept them. */
  keptForInspection?: boolean;
  /** Things the run found and dealt with on its way (a stale lock, an interrupted run). */
  notices: string[];
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
    notices: [],
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
  } else if (isFsError(error)) {
    const where = error.path ? `${displayPath(error.path)}: ` : '';
    report.errors.push({
      ...(error.path ? { file: displayPath(error.path) } : {}),
      message: `${where}cannot ${error.syscall}: ${describeFsError(error)}`,
    });
  } else {
    // A defect of the kit, not of the input: one line, and the stack on request.
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    report.errors.push({
      message:
        process.env.JOBKIT_DEBUG && error instanceof Error && error.stack
          ? error.stack
          : `${message} (an unexpected error in the kit; JOBKIT_DEBUG=1 shows where it happened)`,
    });
  }
}

/** A path as a person reads it: relative to the working folder when inside it. */
function displayPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') ? inside : path;
}

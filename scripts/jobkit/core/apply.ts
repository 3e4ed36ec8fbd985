import {
  commitChanges,
  nodeCommitFs,
  rollbackAfter,
  type CommitFs,
  type CommitMeta,
} from './commit.js';
import { unifiedDiff } from './diff.js';
import { KitError } from './errors.js';
import { formatFiles } from './format.js';
import { recordFiles, type RunReport } from './report.js';
import { keepLineEndings } from './scan.js';
import { takeSignals } from './signals.js';
import type { FileChange } from './tree.js';
import { verifyChanges, type StartedTestRunner, type VerifyTree } from './verify.js';

export interface ApplyOptions {
  root: string;
  dryRun: boolean;
  /** Type-check and run the changed tests after writing. */
  verify: boolean;
  /** Keep the written files when verification fails. */
  keep: boolean;
  testRunner: 'vitest' | 'jest';
  /** Vitest started ahead for the project of the generated tests (see startTestRunner). */
  startedRunner?: StartedTestRunner;
  fs?: CommitFs;
  /**
   * Adds the kit's bookkeeping once the plan is formatted, in exact bytes: the record
   * of generated files, copies of a person's files. Written with the plan, not listed.
   */
  finalize?: (formatted: FileChange[]) => FileChange[];
  /** Who commits, for the journal (see commitChanges). */
  meta: CommitMeta;
}

/** The run was stopped by a signal (Ctrl-C, a closed terminal, `kill`). */
export class InterruptedError extends KitError {
  override name = 'InterruptedError';

  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal} while writing or checking the files`);
  }
}

/**
 * While files are being written and checked, a signal must not kill the process
 * halfway: it is turned into an abort, the checks stop, and the files are put back.
 */
function watchSignals(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const dispose = takeSignals((signal) => {
    if (!controller.signal.aborted) controller.abort(new InterruptedError(signal));
  });
  return { signal: controller.signal, dispose };
}

/**
 * The second half of every run: parse and format the planned files, then either
 * print them as a diff (dry run) or write them all-or-nothing and verify them,
 * putting every file back if verification fails (unless `keep`) or a signal
 * interrupts the run.
 */
export async function applyChanges(
  planned: FileChange[],
  options: ApplyOptions,
  report: RunReport,
): Promise<void> {
  const formatted = (await formatFiles(options.root, planned, report.checks)).map((change) =>
    change.before === null || change.after === null
      ? change
      : { ...change, after: keepLineEndings(change.before, change.after) },
  );
  // The report and the diff show the job's files; the kit's own bookkeeping (the
  // record of generated files, copies kept by --force) is written with them.
  recordFiles(report, formatted);
  if (options.dryRun) {
    report.diff = unifiedDiff(formatted);
    return;
  }
  const changes = options.finalize ? options.finalize(formatted) : formatted;
  const signals = watchSignals();
  try {
    const fs = options.fs ?? nodeCommitFs;
    let commit = await commitChanges(options.root, changes, fs, options.meta);
    let written = false;
    // What verification changed besides the files (rebuilt outputs), undone with them.
    const undo: (() => void)[] = [];
    const kept: (() => void)[] = [];
    const tree: VerifyTree = {
      async withTreeBefore(work) {
        await commit.rollback();
        try {
          return await work();
        } finally {
          // The files are as they were before the run again, now with other stamps.
          commit = await commitChanges(
            options.root,
            changes.map(({ stamp: _stamp, ...change }) => change),
            fs,
            options.meta,
          );
          await commit.write();
        }
      },
      onRollback: (step) => undo.push(step),
      onKept: (step) => kept.push(step),
    };
    try {
      await commit.write();
      written = true;
      signals.signal.throwIfAborted();
      if (options.verify) {
        await verifyChanges(
          options.root,
          changes,
          report.checks,
          options.testRunner,
          signals.signal,
          options.startedRunner,
          tree,
        );
      }
      signals.signal.throwIfAborted();
      await commit.finish();
    } catch (error) {
      const cause: unknown = signals.signal.aborted ? signals.signal.reason : error;
      if (written && options.keep && !signals.signal.aborted) {
        await commit.finish();
        for (const step of kept.splice(0)) step();
        report.keptForInspection = true;
      } else {
        // Set first: a rollback that fails names its files in the error it throws.
        report.rolledBack = true;
        report.restore = await rollbackAfter(cause, async () => {
          const outcome = await commit.rollback();
          for (const step of undo.splice(0)) step();
          return outcome;
        });
      }
      throw cause;
    }
    for (const step of kept.splice(0)) step();
  } finally {
    signals.dispose();
  }
}

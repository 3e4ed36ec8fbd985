import { commitChanges, nodeCommitFs, type CommitFs } from './commit.js';
import { unifiedDiff } from './diff.js';
import { formatChanges } from './format.js';
import { recordFiles, type RunReport } from './report.js';
import type { FileChange } from './tree.js';
import { verifyChanges } from './verify.js';

export interface ApplyOptions {
  root: string;
  dryRun: boolean;
  /** Type-check and run the changed tests after writing. */
  verify: boolean;
  /** Keep the written files when verification fails. */
  keep: boolean;
  testRunner: 'vitest' | 'jest';
  fs?: CommitFs;
}

/**
 * The second half of every run: parse and format the planned files, then either
 * print them as a diff (dry run) or write them all-or-nothing and verify them,
 * putting every file back if verification fails (unless `keep`).
 */
export async function applyChanges(
  planned: FileChange[],
  options: ApplyOptions,
  report: RunReport,
): Promise<void> {
  const changes = await formatChanges(options.root, planned, report.checks);
  recordFiles(report, changes);
  if (options.dryRun) {
    report.diff = await unifiedDiff(changes);
    return;
  }
  const rollback = await commitChanges(options.root, changes, options.fs ?? nodeCommitFs);
  if (!options.verify) return;
  try {
    await verifyChanges(
      options.root,
      changes.map((change) => change.path),
      report.checks,
      options.testRunner,
    );
  } catch (error) {
    if (!options.keep) {
      await rollback();
      report.rolledBack = true;
    }
    throw error;
  }
}

import { nodeCommitFs } from './commit.js';
import { recoverInterrupted } from './journal.js';
import { acquireLock } from './lock.js';
import { emptyReport, recordError, type RunReport } from './report.js';

/**
 * What every writing run does first: take the repository's lock, then finish what an
 * interrupted run left behind (see recoverInterrupted). What was found goes to the
 * report's notices. Returns the release of the lock.
 */
export async function takeRepository(root: string, report?: RunReport): Promise<() => void> {
  const lock = acquireLock(root);
  try {
    if (lock.takenOver) report?.notices.push(lock.takenOver);
    const recovered = await recoverInterrupted(nodeCommitFs, root);
    report?.notices.push(...recovered);
    return lock.release;
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** `gen:job --recover`: only what every writing run does first, reported. */
export async function recoverRepository(root: string): Promise<RunReport> {
  const report = emptyReport('recover', false);
  try {
    const release = await takeRepository(root, report);
    release();
    if (report.notices.length === 0)
      report.notices.push('nothing to recover: no interrupted run left a journal');
    report.ok = true;
    report.exitCode = 0;
  } catch (error) {
    recordError(report, error);
  }
  return report;
}

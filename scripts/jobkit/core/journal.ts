import { join } from 'node:path';
import { filePatch } from './diff.js';
import { describeFsError, unlessMissing } from './files.js';
import { KitError } from './errors.js';
import type { CommitFs } from './commit.js';

/**
 * The commit's journal: written before the first file is replaced, so a run killed
 * halfway (SIGKILL, a power cut of the terminal) can be completed or undone by the
 * next run. It holds each file's text before and after, which is what undoing needs.
 */
export const JOURNAL_FILE = '.jobkit-journal.json';

export interface JournalFile {
  path: string;
  before: string | null;
  after: string | null;
}

export type Journal = {
  pid: number;
  startedAt: string;
  command: 'generate' | 'remove';
  /** The jobs the run adds or removes, by constant. */
  jobs: string[];
  /** Ending of the run's temporary files, each a sibling of its target. */
  suffix: string;
  /** Folders the commit creates, outermost first. */
  createdDirs: string[];
} & (
  | { phase: 'committing'; files: JournalFile[] }
  /**
   * Every file in place, while the checks run: a run stopped now keeps its files, so
   * only their paths are kept (for the temporary files), not their texts again.
   */
  | { phase: 'written'; files: Pick<JournalFile, 'path'>[] }
);

/** What putting files back did: restored, or kept because a person changed them since. */
export interface RestoreOutcome {
  restored: string[];
  /** Files changed since the kit wrote them: left as they are. */
  kept: string[];
  /** The reversal not applied to the kept files, as a patch in the repository. */
  patch?: string;
  /** Why the patch could not be saved, when it could not. */
  patchError?: string;
}

function readText(fs: CommitFs, path: string): Promise<string | null> {
  return unlessMissing(fs.readFile(path, 'utf8'));
}

/** `text` to a temporary sibling of `path`, then renamed over it, keeping `mode`. */
export async function replaceFile(
  fs: CommitFs,
  path: string,
  text: string,
  suffix: string,
  mode?: number,
): Promise<void> {
  try {
    await fs.writeFile(path + suffix, text);
    if (mode !== undefined) await fs.chmod(path + suffix, mode);
    await fs.rename(path + suffix, path);
  } catch (error) {
    await fs.unlink(path + suffix).catch(() => undefined);
    throw error;
  }
}

export async function writeJournal(fs: CommitFs, root: string, journal: Journal): Promise<void> {
  await replaceFile(fs, join(root, JOURNAL_FILE), JSON.stringify(journal), journal.suffix);
}

export async function removeJournal(fs: CommitFs, root: string): Promise<void> {
  await fs.unlink(join(root, JOURNAL_FILE)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/[:.]/g, '-')
    .replace(/-\d+Z$/, 'Z');
}

/**
 * Puts `files` back as they were before the commit, newest first; only files still
 * exactly as the kit wrote them are touched. A file a person changed since is kept,
 * and the reversal the kit could not apply to it is saved as a patch. Folders the
 * commit created go when they are empty. Throws, naming each file, when a file could
 * not be put back.
 */
export async function restoreFiles(
  fs: CommitFs,
  root: string,
  files: readonly JournalFile[],
  createdDirs: readonly string[],
  suffix: string,
): Promise<RestoreOutcome> {
  const outcome: RestoreOutcome = { restored: [], kept: [] };
  const keptFiles: JournalFile[] = [];
  const failures: string[] = [];
  for (const file of [...files].reverse()) {
    const path = join(root, file.path);
    try {
      await fs.unlink(path + suffix).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      const current = await readText(fs, path);
      if (current === file.before) continue;
      if (current !== file.after) {
        outcome.kept.push(file.path);
        keptFiles.push(file);
        continue;
      }
      if (file.before === null) await fs.unlink(path);
      else {
        // A file the run deleted comes back with the usual permissions.
        const mode = current === null ? undefined : Number((await fs.stat(path)).mode) & 0o7777;
        await replaceFile(fs, path, file.before, suffix, mode);
      }
      outcome.restored.push(file.path);
    } catch (error) {
      failures.push(`${file.path}: ${describeFsError(error)}`);
    }
  }
  for (const dir of [...createdDirs].reverse()) {
    await fs.rmdir(join(root, dir)).catch((error: NodeJS.ErrnoException) => {
      // A folder still holding a kept file (or anything else) stays.
      if (error.code !== 'ENOENT' && error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST')
        failures.push(`${dir}/: ${describeFsError(error)}`);
    });
  }
  if (keptFiles.length > 0) {
    const patch = `.jobkit-rollback-${timestamp()}.patch`;
    try {
      await fs.writeFile(join(root, patch), reversalPatch(keptFiles));
      outcome.patch = patch;
    } catch (error) {
      outcome.patchError = describeFsError(error);
    }
  }
  if (failures.length > 0) {
    throw new KitError(
      `could not restore every file; restore these from version control: ${failures.join('; ')}`,
    );
  }
  return outcome;
}

/** The change from what the kit wrote back to what was there before, as git applies it. */
function reversalPatch(files: readonly JournalFile[]): string {
  return files.map((file) => filePatch(file.path, file.after, file.before)).join('');
}

/** One line on what a restore did, for the run's summary. */
export function describeRestore(outcome: RestoreOutcome): string[] {
  const lines: string[] = [];
  if (outcome.kept.length === 0) {
    lines.push('Every file was put back as it was.');
    return lines;
  }
  lines.push(
    `Put back ${outcome.restored.length} file${outcome.restored.length === 1 ? '' : 's'}; kept ${outcome.kept.length} changed since the kit wrote ${outcome.kept.length === 1 ? 'it' : 'them'}: ${outcome.kept.join(', ')}.`,
  );
  lines.push(
    outcome.patch
      ? `The kit's changes to ${outcome.kept.length === 1 ? 'it are' : 'them are'} still in place; to take them out: git apply ${outcome.patch}`
      : `The reversal could not be saved as a patch (${outcome.patchError ?? 'unknown'}); compare those files with version control.`,
  );
  return lines;
}

/**
 * Completes what an interrupted run left: a commit stopped halfway is undone (only the
 * files still as that run wrote them), its temporary files removed; a run stopped
 * while checking its files leaves them in place, and is reported as unverified.
 * Returns what was done, as lines for the run's notices; none when there was nothing.
 */
export async function recoverInterrupted(fs: CommitFs, root: string): Promise<string[]> {
  const text = await readText(fs, join(root, JOURNAL_FILE));
  if (text === null) return [];
  let journal: Journal;
  try {
    journal = JSON.parse(text) as Journal;
    if (!Array.isArray(journal.files) || typeof journal.suffix !== 'string') throw new Error();
  } catch {
    const aside = `${JOURNAL_FILE}.unreadable-${timestamp()}`;
    await fs.rename(join(root, JOURNAL_FILE), join(root, aside));
    return [
      `${JOURNAL_FILE}: an interrupted run left a journal that cannot be read; moved it to ${aside}; check git status for files that run changed`,
    ];
  }
  const who = `an earlier run (pid ${journal.pid}, ${journal.startedAt}, ${journal.command} ${journal.jobs.join(', ')})`;
  if (journal.phase === 'written') {
    await restoreTemporaries(fs, root, journal);
    await removeJournal(fs, root);
    const jobs = journal.jobs.join(', ');
    return journal.command === 'generate'
      ? [
          `${who} was stopped while checking its files: ${jobs} is written but unverified; run pnpm test (or remove it with pnpm gen:job --remove ${journal.jobs[0] ?? '<NAME>'})`,
        ]
      : [
          `${who} was stopped while checking its files: the removal is done but unverified; run pnpm test`,
        ];
  }
  const outcome = await restoreFiles(fs, root, journal.files, journal.createdDirs, journal.suffix);
  await removeJournal(fs, root);
  return [`${who} was stopped while writing its files; undone.`, ...describeRestore(outcome)];
}

async function restoreTemporaries(fs: CommitFs, root: string, journal: Journal): Promise<void> {
  for (const file of journal.files) {
    await fs
      .unlink(join(root, file.path) + journal.suffix)
      .catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
  }
}

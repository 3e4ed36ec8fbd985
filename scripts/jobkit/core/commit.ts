import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { KitError } from './errors.js';
import { unlessMissing } from './files.js';
import {
  removeJournal,
  restoreFiles,
  writeJournal,
  type Journal,
  type RestoreOutcome,
} from './journal.js';
import { fileStamp, type FileChange } from './tree.js';

/** The file operations a commit uses; tests wrap them to inject failures. */
export interface CommitFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  stat(path: string): Promise<BigIntStats>;
  writeFile(path: string, data: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}

export const nodeCommitFs: CommitFs = {
  readFile: (path, encoding) => nodeFs.readFile(path, encoding),
  stat: (path) => nodeFs.stat(path, { bigint: true }),
  writeFile: (path, data) => nodeFs.writeFile(path, data),
  chmod: (path, mode) => nodeFs.chmod(path, mode),
  rename: (from, to) => nodeFs.rename(from, to),
  unlink: (path) => nodeFs.unlink(path),
  mkdir: async (path) => {
    await nodeFs.mkdir(path);
  },
  rmdir: (path) => nodeFs.rmdir(path),
};

/** Resolves `path` under `root`, refusing anything that would land outside it. */
export function insideRoot(root: string, path: string): string {
  const absolute = resolve(root, path);
  if (!isWithin(root, absolute)) {
    throw new KitError(
      `${path}: outside the repository (${root}); the kit only writes inside it`,
      path,
    );
  }
  return absolute;
}

function isWithin(root: string, absolute: string): boolean {
  const back = relative(root, absolute);
  return !(back === '' || back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back));
}

/**
 * Refuses a target that is a symbolic link, or whose folder is reached through a link
 * leading out of the repository: the lexical check above cannot see either, and a
 * rename would replace the link instead of the file it points to.
 */
async function checkRealLocation(root: string, path: string, file: string): Promise<void> {
  const stats = await unlessMissing(nodeFs.lstat(path));
  if (stats?.isSymbolicLink()) {
    throw new KitError(
      `${file}: is a symbolic link; the kit does not write through links, so replace it with the file it points to`,
      file,
    );
  }
  let dir = dirname(path);
  while (!(await unlessMissing(nodeFs.lstat(dir)))) dir = dirname(dir);
  const realRoot = await nodeFs.realpath(root);
  const realDir = await nodeFs.realpath(dir);
  if (realDir !== realRoot && !isWithin(realRoot, realDir)) {
    throw new KitError(
      `${file}: its folder leads out of the repository (to ${realDir}) through a symbolic link; the kit only writes inside ${realRoot}`,
      file,
    );
  }
}

/** Who is committing, for the journal an interrupted run leaves behind. */
export interface CommitMeta {
  command: 'generate' | 'remove';
  jobs: string[];
}

/**
 * A plan being written. `write` puts every file in place all-or-nothing; then either
 * `finish` (the run is done) or `rollback` (put back what it wrote). The journal on
 * disk between `write` and either of them lets the next run recover from a kill.
 */
export interface Commit {
  write(): Promise<void>;
  finish(): Promise<void>;
  rollback(): Promise<RestoreOutcome>;
}

/**
 * Checks a plan against the disk and prepares its commit. A file changed on disk
 * since the plan read it stops the commit before anything is written.
 *
 * Writing: the journal first, then each new text to a temporary sibling of its
 * target, then the renames, so no file is ever half-written and a kill at any point
 * can be undone from the journal. Putting back touches only files still exactly as
 * the kit wrote them (see restoreFiles).
 */
export async function commitChanges(
  root: string,
  changes: readonly FileChange[],
  fs: CommitFs = nodeCommitFs,
  meta: CommitMeta = { command: 'generate', jobs: [] },
): Promise<Commit> {
  const targets: Target[] = [];
  for (const change of changes) {
    const path = insideRoot(root, change.path);
    await checkRealLocation(root, path, change.path);
    // A file the plan read from disk is compared by its stamp; without one (a new
    // file, a plan over another source), by its text.
    const stats = change.before === null ? undefined : await unlessMissing(fs.stat(path));
    const unchanged =
      change.stamp !== undefined && stats
        ? fileStamp(stats) === change.stamp
        : (await unlessMissing(fs.readFile(path, 'utf8'))) === change.before;
    if (!unchanged) {
      throw new KitError(
        `${change.path}: changed on disk while the kit was planning; run again`,
        change.path,
      );
    }
    // A replaced file keeps its permissions; a new one gets the usual ones.
    const mode = stats ? Number(stats.mode) & 0o7777 : undefined;
    targets.push({ change, path, ...(mode === undefined ? {} : { mode }) });
  }

  const journal: Journal & { phase: 'committing' } = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    command: meta.command,
    jobs: meta.jobs,
    phase: 'committing',
    suffix: `.jobkit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
    createdDirs: await missingDirs(root, targets),
    files: targets.map(({ change }) => ({
      path: change.path,
      before: change.before,
      after: change.after,
    })),
  };
  let journalWritten = false;
  let settled = false;

  return {
    async write() {
      await writeJournal(fs, root, journal);
      journalWritten = true;
      for (const dir of journal.createdDirs) await fs.mkdir(join(root, dir));
      // Every new text is on disk next to its target before the first target changes.
      for (const { change, path, mode } of targets) {
        if (change.after === null) continue;
        await fs.writeFile(path + journal.suffix, change.after);
        if (mode !== undefined) await fs.chmod(path + journal.suffix, mode);
      }
      for (const { change, path } of targets) {
        if (change.after === null) await fs.unlink(path);
        else await fs.rename(path + journal.suffix, path);
      }
      await writeJournal(fs, root, {
        ...journal,
        phase: 'written',
        files: journal.files.map(({ path }) => ({ path })),
      });
    },
    async finish() {
      if (settled) return;
      // Settled only once the journal is gone: if deleting it fails, the run fails and
      // rolls back like any other step.
      if (journalWritten) await removeJournal(fs, root);
      settled = true;
    },
    async rollback() {
      if (settled) return { restored: [], kept: [] };
      settled = true;
      if (!journalWritten) return { restored: [], kept: [] };
      const outcome = await restoreFiles(
        fs,
        root,
        journal.files,
        journal.createdDirs,
        journal.suffix,
      );
      await removeJournal(fs, root);
      return outcome;
    },
  };
}

interface Target {
  change: FileChange;
  path: string;
  mode?: number;
}

/** The folders new files need that do not exist yet, outermost first. */
async function missingDirs(root: string, targets: readonly Target[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const { change, path } of targets) {
    if (change.after === null) continue;
    const chain: string[] = [];
    for (let dir = dirname(path); dir !== root && !(await isDirectory(dir)); dir = dirname(dir))
      chain.unshift(relative(root, dir));
    for (const dir of chain) missing.add(dir);
  }
  return [...missing];
}

/**
 * Runs `rollback` after `error`. When the rollback fails too, the error names both,
 * so the files to restore by hand are never hidden behind the first failure.
 */
export async function rollbackAfter(
  error: unknown,
  rollback: () => Promise<RestoreOutcome>,
): Promise<RestoreOutcome> {
  try {
    return await rollback();
  } catch (rollbackError) {
    const first = error instanceof Error ? error.message : String(error);
    throw new KitError(`${first}; then ${(rollbackError as Error).message}`);
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await nodeFs.stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { KitError } from './errors.js';
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

/** Undoes a commit: every file back to its bytes before, new files and folders gone. */
export type Rollback = () => Promise<void>;

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

/** What `operation` gives, or null when the file it looks at does not exist. */
async function unlessMissing<T>(operation: Promise<T>): Promise<T | null> {
  try {
    return await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Writes a plan all-or-nothing. Each file goes to a temporary sibling first and is
 * then renamed over its target, so no file is ever half-written; if any step fails,
 * the files already replaced are put back, new files and folders removed, and the
 * error rethrown. A file changed on disk since the plan read it stops the commit
 * before anything is written.
 */
export async function commitChanges(
  root: string,
  changes: readonly FileChange[],
  fs: CommitFs = nodeCommitFs,
): Promise<Rollback> {
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

  const createdDirs: string[] = [];
  const temporaries: string[] = [];
  const applied: Target[] = [];
  const suffix = `.jobkit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;

  const ensureDir = async (dir: string): Promise<void> => {
    if (dir === root || (await isDirectory(dir))) return;
    await ensureDir(dirname(dir));
    await fs.mkdir(dir);
    createdDirs.push(dir);
  };

  /** `text` to a temporary sibling of `path`, then renamed over it. */
  const replace = async (path: string, text: string, mode: number | undefined) => {
    // Listed before writing: a write that fails halfway can leave a partial file.
    temporaries.push(path + suffix);
    await fs.writeFile(path + suffix, text);
    if (mode !== undefined) await fs.chmod(path + suffix, mode);
    await fs.rename(path + suffix, path);
    temporaries.splice(temporaries.lastIndexOf(path + suffix), 1);
  };

  const rollback: Rollback = async () => {
    const failures: string[] = [];
    for (const { change, path, mode } of applied.reverse()) {
      try {
        if (change.before === null) await fs.unlink(path);
        else await replace(path, change.before, mode);
      } catch (error) {
        failures.push(`${change.path}: ${(error as Error).message}`);
      }
    }
    for (const temporary of temporaries) {
      await fs.unlink(temporary).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT')
          failures.push(`${relative(root, temporary)}: ${error.message}`);
      });
    }
    for (const dir of createdDirs.reverse()) {
      await fs.rmdir(dir).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') failures.push(`${relative(root, dir)}/: ${error.message}`);
      });
    }
    applied.length = 0;
    temporaries.length = 0;
    createdDirs.length = 0;
    if (failures.length > 0) {
      throw new KitError(
        `could not restore every file; restore these from version control: ${failures.join('; ')}`,
      );
    }
  };

  try {
    // Every new text is on disk next to its target before the first target changes.
    for (const { change, path, mode } of targets) {
      if (change.after === null) continue;
      await ensureDir(dirname(path));
      temporaries.push(path + suffix);
      await fs.writeFile(path + suffix, change.after);
      if (mode !== undefined) await fs.chmod(path + suffix, mode);
    }
    for (const target of targets) {
      const { change, path } = target;
      if (change.after === null) await fs.unlink(path);
      else {
        await fs.rename(path + suffix, path);
        temporaries.splice(temporaries.indexOf(path + suffix), 1);
      }
      applied.push(target);
    }
    return rollback;
  } catch (error) {
    await rollbackAfter(error, rollback);
    throw error;
  }
}

interface Target {
  change: FileChange;
  path: string;
  mode?: number;
}

/**
 * Runs `rollback` after `error`. When the rollback fails too, the error names both,
 * so the files to restore by hand are never hidden behind the first failure.
 */
export async function rollbackAfter(error: unknown, rollback: Rollback): Promise<void> {
  try {
    await rollback();
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

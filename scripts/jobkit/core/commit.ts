import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { KitError } from './errors.js';
import type { FileChange } from './tree.js';

/** The file operations a commit uses; tests wrap them to inject failures. */
export interface CommitFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
}

export const nodeCommitFs: CommitFs = {
  readFile: (path, encoding) => nodeFs.readFile(path, encoding),
  writeFile: (path, data) => nodeFs.writeFile(path, data),
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
  const back = relative(root, absolute);
  if (back === '' || back.startsWith(`..${sep}`) || back === '..' || resolve(back) === back) {
    throw new KitError(
      `${path}: outside the repository (${root}); the kit only writes inside it`,
      path,
    );
  }
  return absolute;
}

async function readOrNull(fs: CommitFs, path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, 'utf8');
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
  const targets = changes.map((change) => ({ change, path: insideRoot(root, change.path) }));
  for (const { change, path } of targets) {
    if ((await readOrNull(fs, path)) !== change.before) {
      throw new KitError(
        `${change.path}: changed on disk while the kit was planning; run again`,
        change.path,
      );
    }
  }

  const createdDirs: string[] = [];
  const temporaries: string[] = [];
  const applied: { change: FileChange; path: string }[] = [];
  const suffix = `.jobkit-${process.pid}-${randomBytes(4).toString('hex')}.tmp`;

  const ensureDir = async (dir: string): Promise<void> => {
    if (dir === root || (await isDirectory(dir))) return;
    await ensureDir(dirname(dir));
    await fs.mkdir(dir);
    createdDirs.push(dir);
  };

  const rollback: Rollback = async () => {
    const failures: string[] = [];
    for (const { change, path } of applied.reverse()) {
      try {
        if (change.before === null) await fs.unlink(path);
        else {
          await fs.writeFile(path + suffix, change.before);
          await fs.rename(path + suffix, path);
        }
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
    for (const { change, path } of targets) {
      if (change.after === null) continue;
      await ensureDir(dirname(path));
      await fs.writeFile(path + suffix, change.after);
      temporaries.push(path + suffix);
    }
    for (const { change, path } of targets) {
      if (change.after === null) await fs.unlink(path);
      else {
        await fs.rename(path + suffix, path);
        temporaries.splice(temporaries.indexOf(path + suffix), 1);
      }
      applied.push({ change, path });
    }
    return rollback;
  } catch (error) {
    await rollback();
    throw error;
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

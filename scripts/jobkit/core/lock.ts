import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LockedError } from './errors.js';

export const LOCK_FILE = '.jobkit.lock';

function holderIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readIfPresent(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The holder's pid, or undefined while the holder is still writing the file. */
function parseHolder(text: string): number | undefined {
  try {
    const { pid } = JSON.parse(text) as { pid?: unknown };
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the repository's lock, or throws at once when another live run holds it.
 * The file is created with O_EXCL, so of two runs starting together exactly one
 * wins. A lock left by a run that died is taken over. Returns the release function.
 */
export function acquireLock(root: string): () => void {
  const path = join(root, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        // Already gone (removed by hand) is what releasing wants anyway.
        try {
          unlinkSync(path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = readIfPresent(path);
      if (held === null) continue;
      const holder = parseHolder(held);
      if (holder === undefined || holderIsAlive(holder)) {
        const who = holder === undefined ? 'a run that is starting' : `pid ${holder}`;
        throw new LockedError(
          `${LOCK_FILE}: another job kit run (${who}) is changing this repository; wait for it to finish, then run again`,
          LOCK_FILE,
        );
      }
      // The holder died without releasing; take over unless someone already did.
      if (readIfPresent(path) !== held) continue;
      unlinkSync(path);
    }
  }
  throw new LockedError(`${LOCK_FILE}: could not take the lock; run again`, LOCK_FILE);
}

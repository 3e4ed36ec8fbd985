import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeFsError, removeIfPresent, readIfPresent } from './files.js';
import { KitError, LockedError } from './errors.js';

export const LOCK_FILE = '.jobkit.lock';

/** No run of the kit lasts this long: a lock older than this was left behind. */
const MAX_RUN_MS = 60 * 60 * 1000;

/** What a lock file says of the run holding it. */
interface Holder {
  pid: number;
  startedAt: string;
  /** The holder process's start time as the kernel counts it (Linux), to tell a reused pid. */
  processStart?: string;
}

/** The kernel's start time of `pid` (clock ticks since boot), or undefined off Linux. */
function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHolder(text: string): Holder | undefined {
  try {
    const holder = JSON.parse(text) as Partial<Holder>;
    if (typeof holder.pid !== 'number' || typeof holder.startedAt !== 'string') return undefined;
    return holder as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Why the lock in `text` no longer belongs to a running kit, or undefined while it does.
 * Lock files are written whole before they appear (see acquireLock), so an empty or
 * unreadable one was never a live run's.
 */
function staleness(text: string, now: number): string | undefined {
  const holder = parseHolder(text);
  if (!holder) return text.trim() === '' ? 'it is empty' : 'it is unreadable';
  const started = Date.parse(holder.startedAt);
  if (!isAlive(holder.pid)) return `its run (pid ${holder.pid}) has ended`;
  if (Number.isNaN(started) || now - started > MAX_RUN_MS)
    return `it dates from ${holder.startedAt}, longer ago than any run lasts`;
  const processStart = processStartOf(holder.pid);
  if (processStart !== undefined && processStart !== holder.processStart)
    return `pid ${holder.pid} now belongs to another process`;
  return undefined;
}

function heldMessage(text: string): string {
  const holder = parseHolder(text);
  const who = holder ? `pid ${holder.pid}, started ${holder.startedAt}` : 'unknown';
  return `${LOCK_FILE}: another job kit run (${who}) is changing this repository; wait for it to finish and run again. If no run is going on, delete ${LOCK_FILE} and run again`;
}

export interface Lock {
  release(): void;
  /** Set when a stale lock was taken over: what was found, for the run's notices. */
  takenOver?: string;
}

/**
 * Takes the repository's lock, or throws at once when a live run of the kit holds it.
 * The lock is written whole to a temporary file and then linked into place, which
 * fails when the lock exists: of two runs starting together exactly one wins, and no
 * lock file is ever seen half-written. A lock left behind (empty, unreadable, older
 * than any run, or naming a pid that is no longer the run that wrote it) is taken
 * over, and `takenOver` says why.
 */
export function acquireLock(root: string): Lock {
  const path = join(root, LOCK_FILE);
  const pid = process.pid;
  const holder: Holder = { pid, startedAt: new Date().toISOString() };
  const processStart = processStartOf(pid);
  if (processStart !== undefined) holder.processStart = processStart;
  const temporary = `${path}.${pid}-${randomBytes(4).toString('hex')}.tmp`;
  let takenOver: string | undefined;
  try {
    writeFileSync(temporary, JSON.stringify(holder));
  } catch (error) {
    removeIfPresent(temporary);
    throw new KitError(`${LOCK_FILE}: cannot be written: ${describeFsError(error)}`, LOCK_FILE);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        linkSync(temporary, path);
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          process.off('exit', release);
          // Already gone (removed by hand) is what releasing wants anyway.
          removeIfPresent(path);
        };
        // A run stopped before it writes (Ctrl-C while planning) exits at once: the
        // lock goes with it rather than wait to be found stale by the next run.
        process.on('exit', release);
        return {
          release,
          ...(takenOver ? { takenOver } : {}),
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new KitError(
            `${LOCK_FILE}: cannot be created: ${describeFsError(error)}`,
            LOCK_FILE,
          );
        }
      }
      const held = readIfPresent(path);
      if (held === null) continue;
      const reason = staleness(held, Date.now());
      if (reason === undefined) throw new LockedError(heldMessage(held), LOCK_FILE);
      // Moved aside rather than deleted: if another run took it over first, the lock
      // moved is that run's, and goes back.
      const aside = `${path}.${pid}-stale.tmp`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      if (readIfPresent(aside) !== held) {
        try {
          linkSync(aside, path);
        } catch {
          // A third run has the lock now; it is checked on the next turn.
        }
      } else {
        takenOver = `took over ${LOCK_FILE} left behind by an earlier run: ${reason}`;
      }
      removeIfPresent(aside);
    }
    throw new LockedError(`${LOCK_FILE}: could not take the lock; run again`, LOCK_FILE);
  } finally {
    removeIfPresent(temporary);
  }
}

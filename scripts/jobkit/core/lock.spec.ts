import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockedError } from './errors.js';
import { acquireLock, LOCK_FILE } from './lock.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'jobkit-lock-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const lockPath = () => join(root, LOCK_FILE);

/** A lock as another run would have written it. */
function writeLock(holder: object): void {
  writeFileSync(lockPath(), JSON.stringify(holder));
}

describe('acquireLock', () => {
  it('lets one holder in at a time, and the next after it releases', () => {
    const lock = acquireLock(root);
    expect(lock.takenOver).toBeUndefined();
    expect(() => acquireLock(root)).toThrow(LockedError);
    expect(() => acquireLock(root)).toThrow(`pid ${process.pid}`);
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
    acquireLock(root).release();
    expect(readdirSync(root)).toEqual([]);
  });

  it('says how to clear a lock by hand when it refuses', () => {
    const lock = acquireLock(root);
    expect(() => acquireLock(root)).toThrow(
      `If no run is going on, delete ${LOCK_FILE} and run again`,
    );
    lock.release();
  });

  it('takes over an empty or unreadable lock, with a notice', () => {
    writeFileSync(lockPath(), '');
    const lock = acquireLock(root);
    expect(lock.takenOver).toContain('it is empty');
    lock.release();
    writeFileSync(lockPath(), '{"pid": 12');
    expect(acquireLock(root).takenOver).toContain('it is unreadable');
  });

  it('takes over a lock left by a process that died', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeLock({ pid: Number(dead.stdout), startedAt: new Date().toISOString() });
    const lock = acquireLock(root);
    expect(lock.takenOver).toMatch(/has ended|belongs to another process/);
    expect(JSON.parse(readFileSync(lockPath(), 'utf8'))).toMatchObject({ pid: process.pid });
  });

  it('takes over a lock dated longer ago than any run, even when its pid is alive', () => {
    writeLock({ pid: 1, startedAt: '2019-03-01T10:00:00.000Z' });
    expect(acquireLock(root).takenOver).toContain('dates from 2019-03-01');
  });

  it.runIf(existsSync('/proc/self/stat'))(
    'takes over a lock whose pid now belongs to an unrelated process',
    async () => {
      // A live process that is not the run that wrote the lock: the lock names its
      // pid but another start time, as after the pid was reused.
      const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      try {
        await new Promise((resolve) => other.once('spawn', resolve));
        writeLock({ pid: other.pid, startedAt: new Date().toISOString(), processStart: '1' });
        expect(acquireLock(root).takenOver).toContain(
          `pid ${other.pid} now belongs to another process`,
        );
      } finally {
        other.kill();
      }
    },
  );

  it('refuses while a live run of the kit holds the lock', () => {
    // Another process holding the lock through the kit's own code.
    const holder = spawn(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const { acquireLock } = await import(${JSON.stringify(new URL('./lock.ts', import.meta.url).href)});
       acquireLock(${JSON.stringify(root)}); console.log('held'); setInterval(() => {}, 1000);`,
    ]);
    return new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => {
        try {
          expect(() => acquireLock(root)).toThrow(`pid ${holder.pid}`);
          resolve();
        } catch (error) {
          reject(error as Error);
        } finally {
          holder.kill();
        }
      });
      holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
  });

  it('releases once, and tolerates a lock file already gone', () => {
    const { release } = acquireLock(root);
    rmSync(lockPath());
    expect(() => release()).not.toThrow();
    expect(() => release()).not.toThrow();
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

describe('acquireLock', () => {
  it('lets one holder in at a time, and the next after it releases', () => {
    const release = acquireLock(root);
    expect(() => acquireLock(root)).toThrow(LockedError);
    expect(() => acquireLock(root)).toThrow(`pid ${process.pid}`);
    release();
    expect(existsSync(join(root, LOCK_FILE))).toBe(false);
    acquireLock(root)();
  });

  it('treats a lock still being written as held', () => {
    writeFileSync(join(root, LOCK_FILE), '');
    expect(() => acquireLock(root)).toThrow('a run that is starting');
  });

  it('takes over a lock left by a process that died', () => {
    // A process that has exited: its pid is free (or reused, which the kit accepts).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(join(root, LOCK_FILE), JSON.stringify({ pid: Number(dead.stdout) }));
    const release = acquireLock(root);
    release();
  });

  it('releases once, and tolerates a lock file already gone', () => {
    const release = acquireLock(root);
    rmSync(join(root, LOCK_FILE));
    expect(() => release()).not.toThrow();
    expect(() => release()).not.toThrow();
  });
});

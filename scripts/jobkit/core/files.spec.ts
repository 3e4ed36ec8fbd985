import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { saveCache } from './files.js';

const folders: string[] = [];
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-files-'));
  folders.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('saveCache', () => {
  it('writes the cache whole, creating its folder, and leaves no temporary file', () => {
    const dir = folder();
    const path = join(dir, 'cache/v8/prettier.bin');
    expect(saveCache(path, 'cached')).toBe(null);
    expect(readFileSync(path, 'utf8')).toBe('cached');
    expect(readdirSync(join(dir, 'cache/v8'))).toEqual(['prettier.bin']);
  });

  it('returns the error instead of throwing when the cache cannot be written', () => {
    const dir = folder();
    // A file where the cache's folder should be: ENOTDIR even for root, who may
    // write anywhere else.
    writeFileSync(join(dir, 'cache'), 'not a folder');
    const error = saveCache(join(dir, 'cache/v8/prettier.bin'), 'cached');
    expect(error?.code).toMatch(/^(ENOTDIR|EEXIST)$/);
    expect(readdirSync(dir)).toEqual(['cache']);
  });

  it('replaces an older cache whole and removes its temporary file when the rename fails', () => {
    const dir = folder();
    const path = join(dir, 'prettier.bin');
    saveCache(path, 'old');
    expect(saveCache(path, 'new')).toBe(null);
    expect(readFileSync(path, 'utf8')).toBe('new');
    // A folder in the cache's place: the rename fails after the write succeeded.
    const blocked = join(dir, 'blocked');
    saveCache(join(blocked, 'keep'), 'x');
    expect(saveCache(blocked, 'cached')?.code).toMatch(/^(EISDIR|ENOTEMPTY|EEXIST)$/);
    expect(readdirSync(dir).sort()).toEqual(['blocked', 'prettier.bin']);
  });
});

import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPatch } from 'diff';
import { commitChanges, insideRoot, nodeCommitFs, type CommitFs } from './commit.js';
import { JOURNAL_FILE, recoverInterrupted } from './journal.js';
import { KitError } from './errors.js';
import { diskSource, VirtualTree } from './tree.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'jobkit-commit-'));
  writeFileSync(join(root, 'a.ts'), 'a\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Every file under `root`, with its text. */
function tree(dir = root, prefix = ''): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory()
        ? Object.entries(tree(join(dir, entry.name), `${prefix}${entry.name}/`))
        : [[`${prefix}${entry.name}`, readFileSync(join(dir, entry.name), 'utf8')]],
    ),
  );
}

describe('insideRoot', () => {
  it('refuses paths that leave the repository', () => {
    for (const path of ['../x.ts', '/etc/passwd', 'a/../../x.ts', '', '.']) {
      expect(() => insideRoot(root, path), path).toThrow(KitError);
    }
    expect(insideRoot(root, 'a/b.ts')).toBe(join(root, 'a/b.ts'));
  });
});

/** Commits `changes` as a run does: written, or put back when writing fails. */
async function commitAll(
  changes: Parameters<typeof commitChanges>[1],
  fs: CommitFs = nodeCommitFs,
) {
  const commit = await commitChanges(root, changes, fs);
  try {
    await commit.write();
  } catch (error) {
    await commit.rollback();
    throw error;
  }
  return commit;
}

describe('commitChanges', () => {
  it('writes, creates folders, and rolls everything back', async () => {
    const commit = await commitAll([
      { path: 'a.ts', before: 'a\n', after: 'A\n' },
      { path: 'new/dir/b.ts', before: null, after: 'b\n' },
    ]);
    expect(tree()).toEqual({
      'a.ts': 'A\n',
      'new/dir/b.ts': 'b\n',
      [JOURNAL_FILE]: expect.stringContaining('"phase":"written"') as unknown as string,
    });
    expect(await commit.rollback()).toEqual({ restored: ['new/dir/b.ts', 'a.ts'], kept: [] });
    expect(tree()).toEqual({ 'a.ts': 'a\n' });
    expect(existsSync(join(root, 'new'))).toBe(false);
  });

  it('brings back a file it deleted (a removal that fails its checks)', async () => {
    const commit = await commitAll([{ path: 'a.ts', before: 'a\n', after: null }]);
    expect(existsSync(join(root, 'a.ts'))).toBe(false);
    expect(await commit.rollback()).toEqual({ restored: ['a.ts'], kept: [] });
    expect(tree()).toEqual({ 'a.ts': 'a\n' });
  });

  it('keeps the permissions of the files it replaces', async () => {
    chmodSync(join(root, 'a.ts'), 0o755);
    await commitAll([{ path: 'a.ts', before: 'a\n', after: 'A\n' }]);
    expect(statSync(join(root, 'a.ts')).mode & 0o777).toBe(0o755);
  });

  it('stops before writing when a file changed since it was read', async () => {
    await expect(
      commitChanges(root, [
        { path: 'new.ts', before: null, after: 'n\n' },
        { path: 'a.ts', before: 'old\n', after: 'A\n' },
      ]),
    ).rejects.toThrow('a.ts: changed on disk while the kit was planning');
    expect(tree()).toEqual({ 'a.ts': 'a\n' });
  });

  /** A plan that rewrites a.ts, read from disk an hour after it was last written. */
  function planOverOldFile(): VirtualTree {
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, 'a.ts'), hourAgo, hourAgo);
    const planned = new VirtualTree(diskSource(root));
    planned.write('a.ts', 'A\n');
    expect(planned.changes()[0]?.stamp).toMatch(/^\d+:\d+:\d+$/);
    return planned;
  }

  it('tells a file read from disk is unchanged by its stamp, without reading it again', async () => {
    const planned = planOverOldFile();
    const fs: CommitFs = {
      ...nodeCommitFs,
      readFile: () => Promise.reject(new Error('read again')),
    };
    await (await commitAll(planned.changes(), fs)).finish();
    expect(tree()).toEqual({ 'a.ts': 'A\n' });
  });

  it('stops when a file read from disk was rewritten since, even to the same size', async () => {
    const planned = planOverOldFile();
    writeFileSync(join(root, 'a.ts'), 'b\n');
    await expect(commitChanges(root, planned.changes())).rejects.toThrow(
      'a.ts: changed on disk while the kit was planning',
    );
    expect(tree()).toEqual({ 'a.ts': 'b\n' });
  });

  it('compares a file written moments before it was read by its text', async () => {
    const planned = new VirtualTree(diskSource(root));
    planned.write('a.ts', 'A\n');
    expect(planned.changes()[0]?.stamp).toBeUndefined();
    writeFileSync(join(root, 'a.ts'), 'b\n');
    await expect(commitChanges(root, planned.changes())).rejects.toThrow(
      'a.ts: changed on disk while the kit was planning',
    );
  });

  it('removes a half-written temporary file when a write fails', async () => {
    const fs: CommitFs = {
      ...nodeCommitFs,
      writeFile: async (path, data) => {
        await nodeCommitFs.writeFile(path, data.slice(0, 1));
        throw new Error('disk full');
      },
    };
    await expect(commitAll([{ path: 'a.ts', before: 'a\n', after: 'A\n' }], fs)).rejects.toThrow(
      'disk full',
    );
    expect(tree()).toEqual({ 'a.ts': 'a\n' });
  });

  it('refuses links: to a file, and to a folder outside', async () => {
    writeFileSync(join(root, 'real.ts'), 'r\n');
    symlinkSync('real.ts', join(root, 'link.ts'));
    await expect(
      commitChanges(root, [{ path: 'link.ts', before: 'r\n', after: 'R\n' }]),
    ).rejects.toThrow('link.ts: is a symbolic link');

    const outside = mkdtempSync(join(tmpdir(), 'jobkit-outside-'));
    try {
      mkdirSync(join(root, 'inner'));
      symlinkSync(outside, join(root, 'inner/out'), 'dir');
      await expect(
        commitChanges(root, [{ path: 'inner/out/deep/x.ts', before: null, after: 'x\n' }]),
      ).rejects.toThrow('inner/out/deep/x.ts: its folder leads out of the repository');
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('puts back only files still as it wrote them; keeps an edited one and saves the reversal', async () => {
    const commit = await commitAll([
      { path: 'a.ts', before: 'a\n', after: 'a\nadded by the kit\n' },
      { path: 'new/b.ts', before: null, after: 'b\n' },
      { path: 'new/c.ts', before: null, after: 'c\n' },
    ]);
    // A person saves both files while the kit checks them.
    writeFileSync(join(root, 'a.ts'), 'a\nadded by the kit\nadded by a person\n');
    writeFileSync(join(root, 'new/b.ts'), 'b\nthe business logic\n');
    const outcome = await commit.rollback();
    expect(outcome).toMatchObject({ restored: ['new/c.ts'], kept: ['new/b.ts', 'a.ts'] });
    const patch = readFileSync(join(root, outcome.patch ?? 'missing'), 'utf8');
    expect(tree()).toEqual({
      'a.ts': 'a\nadded by the kit\nadded by a person\n',
      'new/b.ts': 'b\nthe business logic\n',
      [outcome.patch ?? 'missing']: patch,
    });
    // The patch takes the kit's lines out of the edited file and keeps the person's.
    expect(
      applyPatch(
        readFileSync(join(root, 'a.ts'), 'utf8'),
        patch.slice(patch.indexOf('--- a/a.ts')),
        { fuzzFactor: 1 },
      ),
    ).toBe('a\nadded by a person\n');
  });

  it('leaves a journal that lets the next run undo a commit stopped halfway', async () => {
    let renames = 0;
    const stopped = new Error('killed');
    const fs: CommitFs = {
      ...nodeCommitFs,
      rename: async (from, to) => {
        // The process dies after the second file is in place: nothing more runs.
        if (++renames === 4) throw stopped;
        await nodeCommitFs.rename(from, to);
      },
    };
    const commit = await commitChanges(
      root,
      [
        { path: 'a.ts', before: 'a\n', after: 'A\n' },
        { path: 'new/b.ts', before: null, after: 'b\n' },
        { path: 'new/c.ts', before: null, after: 'c\n' },
      ],
      fs,
      { command: 'generate', jobs: ['ALPHA'] },
    );
    await expect(commit.write()).rejects.toBe(stopped);
    expect(Object.keys(tree()).filter((file) => file.endsWith('.tmp'))).toHaveLength(1);

    const notices = await recoverInterrupted(nodeCommitFs, root);
    expect(notices[0]).toMatch(
      /^an earlier run \(pid \d+, .*generate ALPHA\) was stopped while writing its files; undone\.$/,
    );
    expect(notices[1]).toBe('Every file was put back as it was.');
    expect(tree()).toEqual({ 'a.ts': 'a\n' });
    expect(await recoverInterrupted(nodeCommitFs, root)).toEqual([]);
  });

  it('reports a job whose checks were stopped as written but unverified', async () => {
    await commitAll([{ path: 'new.ts', before: null, after: 'n\n' }]);
    const notices = await recoverInterrupted(nodeCommitFs, root);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain('was stopped while checking its files');
    expect(notices[0]).toContain('unverified');
    expect(tree()).toEqual({ 'a.ts': 'a\n', 'new.ts': 'n\n' });
  });
});

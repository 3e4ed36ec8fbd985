import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOURNAL_FILE } from '../../scripts/jobkit/core/journal.js';
import { LOCK_FILE } from '../../scripts/jobkit/core/lock.js';
import { MANIFEST_FILE } from '../../scripts/jobkit/job/manifest.js';
import { runGenJob } from '../support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * What a person wrote survives every way a run can end: a rollback while they edit,
 * a removal of a job whose handler they filled in, a run killed mid-commit or
 * mid-verification.
 */

const WORKER = 'apps/worker/src/worker.ts';
const HANDLER = 'apps/worker/src/handlers/audit-log-export.handler.ts';
const answersFile = join(repoRoot, 'test/answers/audit-log-export.json');

let host: TempHost;
let pristine: string;
let scratch: string;

beforeAll(() => {
  host = createTempHost();
  pristine = host.hash();
  scratch = mkdtempSync(join(tmpdir(), 'jobkit-lost-'));
});
afterAll(() => {
  host.remove();
  rmSync(scratch, { recursive: true, force: true });
});

/** A fresh copy of the host for one test. */
function freshHost(): TempHost {
  return createTempHost(host.root);
}

/**
 * Resolves once the run's journal says every file is in place and the checks run
 * (a file existing is not enough: the commit may still be renaming the others).
 */
async function whenVerifying(root: string, child: ResultPromise): Promise<void> {
  const phase = (): string | undefined => {
    try {
      return (JSON.parse(readFileSync(join(root, JOURNAL_FILE), 'utf8')) as { phase?: string })
        .phase;
    } catch {
      return undefined;
    }
  };
  let ended = false;
  void child.finally(() => {
    ended = true;
  });
  while (phase() !== 'written') {
    if (ended) throw new Error('the run ended before its checks started');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function leftovers(root: string, dir = ''): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name === 'node_modules') return [];
    if (entry.isDirectory()) return leftovers(root, path);
    return entry.name.endsWith('.tmp') ? [path] : [];
  });
}

describe('nothing a person wrote is lost', () => {
  it('a rollback keeps a file edited while the kit verifies, and saves the reversal as a patch', async () => {
    const copy = freshHost();
    try {
      const original = copy.read(WORKER);
      const child = execa(
        'node',
        [join(repoRoot, 'scripts/bin/gen-job.mjs'), '--root', copy.root, '--answers', answersFile],
        { reject: false, env: { FORCE_COLOR: '0' } },
      );
      await whenVerifying(copy.root, child);
      // Committed: a person saves a line into worker.ts while the checks run.
      const edited = `${copy.read(WORKER)}// a line the person saved\n`;
      copy.write(WORKER, edited);
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain(`kept 1 changed since the kit wrote it: ${WORKER}.`);
      const patch = /git apply (\S+)$/m.exec(result.stderr)?.[1];
      expect(patch, result.stderr).toBeDefined();
      expect(copy.read(WORKER)).toBe(edited);
      expect(existsSync(join(copy.root, HANDLER))).toBe(false);
      // Applying the saved reversal leaves the person's line and nothing of the kit's.
      await execa('git', ['apply', patch ?? ''], { cwd: copy.root });
      expect(copy.read(WORKER)).toBe(`${original}// a line the person saved\n`);
      expect(existsSync(join(copy.root, LOCK_FILE))).toBe(false);
      expect(existsSync(join(copy.root, JOURNAL_FILE))).toBe(false);
    } finally {
      copy.remove();
    }
  });

  it('--remove refuses to delete a handler holding business logic; --force deletes it and keeps a copy', async () => {
    const copy = freshHost();
    try {
      const generated = await runGenJob(copy.root, ['--answers', answersFile, '--no-verify']);
      expect(generated.exitCode, generated.stderr).toBe(0);
      expect(existsSync(join(copy.root, MANIFEST_FILE))).toBe(true);
      const written = `${copy.read(HANDLER)}\nexport const businessLogic = 'written by a person';\n`;
      copy.write(HANDLER, written);
      const before = copy.hash();

      const refused = await runGenJob(copy.root, ['--remove', 'AUDIT_LOG_EXPORT', '--no-verify']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain(`error: ${HANDLER}: changed since the kit generated it`);
      expect(refused.stderr).toContain('--force');
      expect(copy.hash()).toBe(before);

      const forced = await runGenJob(copy.root, [
        '--remove',
        'AUDIT_LOG_EXPORT',
        '--no-verify',
        '--force',
      ]);
      expect(forced.exitCode, forced.stderr).toBe(0);
      expect(existsSync(join(copy.root, HANDLER))).toBe(false);
      const [backup] = readdirSync(join(copy.root, '.jobkit/removed'));
      expect(readFileSync(join(copy.root, '.jobkit/removed', backup ?? '', HANDLER), 'utf8')).toBe(
        written,
      );
      expect(existsSync(join(copy.root, MANIFEST_FILE))).toBe(false);
    } finally {
      copy.remove();
    }
  });

  it('a run killed in the middle of its commit is undone by the next run, temporary files and all', async () => {
    const copy = freshHost();
    try {
      const victim = execa(
        'node',
        [
          '--import',
          'tsx',
          join(repoRoot, 'test/support/commit-victim.ts'),
          copy.root,
          answersFile,
        ],
        { reject: false, cwd: repoRoot },
      );
      await new Promise<void>((resolve, reject) => {
        victim.stdout?.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('renamed')) resolve();
        });
        void victim.then((result) => reject(new Error(`ended early: ${result.stderr}`)));
      });
      victim.kill('SIGKILL');
      await victim;
      expect(existsSync(join(copy.root, JOURNAL_FILE))).toBe(true);
      expect(leftovers(copy.root).length).toBeGreaterThan(0);

      const recovered = await runGenJob(copy.root, ['--recover']);
      expect(recovered.exitCode, recovered.stderr).toBe(0);
      expect(recovered.stderr).toContain('was stopped while writing its files; undone.');
      expect(recovered.stderr).toContain(`took over ${LOCK_FILE}`);
      expect(leftovers(copy.root)).toEqual([]);
      expect(copy.hash()).toBe(pristine);

      // And the job can be generated again at once.
      const again = await runGenJob(copy.root, ['--answers', answersFile, '--no-verify']);
      expect(again.exitCode, again.stderr).toBe(0);
    } finally {
      copy.remove();
    }
  });

  it('a run killed while verifying leaves its job, reported as unverified by the next run', async () => {
    const copy = freshHost();
    try {
      const child = execa(
        'node',
        [join(repoRoot, 'scripts/bin/gen-job.mjs'), '--root', copy.root, '--answers', answersFile],
        { reject: false },
      );
      await whenVerifying(copy.root, child);
      child.kill('SIGKILL');
      await child;
      const next = await runGenJob(copy.root, ['--recover']);
      expect(next.exitCode, next.stderr).toBe(0);
      expect(next.stderr).toMatch(
        /was stopped while checking its files: AUDIT_LOG_EXPORT is written but unverified/,
      );
      expect(existsSync(join(copy.root, HANDLER))).toBe(true);
      expect(existsSync(join(copy.root, JOURNAL_FILE))).toBe(false);
    } finally {
      copy.remove();
    }
  });
});

describe('input the kit refuses in one line', () => {
  it.each([
    ['a byte-order mark', (text: string) => `\uFEFF${text}`, 0],
    ['a key given twice', (text: string) => text.replace('{', '{"retries": 1, '), 2],
  ])('answers with %s', async (_, change, exitCode) => {
    const file = join(scratch, 'answers.json');
    writeFileSync(file, change(readFileSync(answersFile, 'utf8')));
    const run = await runGenJob(host.root, ['--answers', file, '--dry-run']);
    expect(run.exitCode, run.stderr).toBe(exitCode);
    if (exitCode === 2) {
      expect(run.stderr).toContain('the key "retries" is given twice in one object (line');
    }
  });

  it('answers that are not UTF-8', async () => {
    const file = join(scratch, 'latin1.json');
    writeFileSync(file, Buffer.from('{"name": "caf\xe9"}', 'latin1'));
    const run = await runGenJob(host.root, ['--answers', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('is not valid UTF-8 (at byte 13)');
  });

  it('answers from a device that never ends', async () => {
    const run = await runGenJob(host.root, ['--answers', '/dev/zero']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('/dev/zero: is larger than 1024 KiB');
  });

  it.each([
    ['a missing folder', 'no/such/dir', 'does not exist (ENOENT)'],
    ['a file', 'package.json', 'is a file'],
  ])('--root at %s, also with --json', async (_, root, message) => {
    const run = await runGenJob(join(host.root, root), ['--answers', answersFile]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    const json = await runGenJob(join(host.root, root), ['--answers', answersFile, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ exitCode: 2 });
  });
});

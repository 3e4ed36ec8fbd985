import { applyPatch, parsePatch } from 'diff';
import { execa } from 'execa';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../scripts/jobkit/core/report.js';
import { runGenJob } from '../support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * The command line contract: `--dry-run` prints a diff of every file and writes
 * nothing, `--json` prints one JSON document, and the exit code says what happened
 * (0 done, 1 failed and nothing changed, 2 answers refused and nothing touched).
 */

const CREATED = [
  'packages/shared/src/jobs/audit-log-export.job.ts',
  'apps/worker/src/handlers/audit-log-export.handler.ts',
  'apps/worker/src/handlers/__tests__/audit-log-export.handler.spec.ts',
];
const MODIFIED = [
  'packages/shared/src/queues.ts',
  'packages/shared/src/index.ts',
  'apps/worker/src/worker.ts',
  'apps/api/src/queue/queue.service.ts',
];

function parseReport(stdout: string): RunReport {
  // One document: parsing the whole of stdout fails on anything before or after it.
  return JSON.parse(stdout) as RunReport;
}

describe('gen:job command line', () => {
  let host: TempHost;
  let dir: string;
  let answersFile: string;
  let pristine: string;

  beforeAll(() => {
    host = createTempHost();
    pristine = host.hash();
    dir = mkdtempSync(join(tmpdir(), 'jobkit-cli-'));
    answersFile = join(dir, 'audit-log-export.json');
    copyFileSync(join(repoRoot, 'test/answers/audit-log-export.json'), answersFile);
  });
  afterAll(() => {
    host.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await runGenJob(host.root, ['--help']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('Exit codes: 0 done, 2 answers rejected');
  });

  it('through pnpm as --help says (pnpm -s), --json is one JSON document, a refusal too', async () => {
    const help = await runGenJob(host.root, ['--help']);
    expect(help.stdout).toContain('pnpm -s gen:job --json');
    const run = await execa(
      'pnpm',
      ['-s', 'gen:job', '--root', host.root, '--remove', 'NOT_A_JOB', '--json'],
      { cwd: repoRoot, reject: false, env: { FORCE_COLOR: '0' } },
    );
    expect(run.exitCode).toBe(2);
    expect(parseReport(run.stdout).exitCode).toBe(2);
  });

  it('refused answers exit 2 with one line per problem, and --json lists each with its path', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({
        name: 'Bad Job',
        purpose: 'p',
        trigger: 't',
        fields: [{ name: 'when', type: 'date' }],
        priority: 0,
      }),
    );
    const human = await runGenJob(host.root, ['--answers', bad]);
    expect(human.exitCode).toBe(2);
    expect(human.stdout).toBe('');
    expect(human.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^error: fields\[0\]\.type: unknown type "date"; use one of: /),
      'error: priority: must be a whole number from 1 to 10 (the priority, 1 runs first)',
      'Nothing was written.',
    ]);

    const json = await runGenJob(host.root, ['--answers', bad, '--json']);
    expect(json.exitCode).toBe(2);
    expect(json.stderr).toBe('');
    const report = parseReport(json.stdout);
    expect(report).toMatchObject({ ok: false, exitCode: 2, command: 'generate' });
    expect(report.errors.map((error) => error.path)).toEqual(['fields[0].type', 'priority']);
    expect(report.files).toEqual({ created: [], modified: [], deleted: [] });
    expect(host.hash()).toBe(pristine);
  });

  it('an unknown flag exits 2, also as JSON', async () => {
    const run = await runGenJob(host.root, ['--answers', answersFile, '--json', '--frobnicate']);
    expect(run.exitCode).toBe(2);
    const report = parseReport(run.stdout);
    expect(report.errors[0]?.message).toContain("Unknown option '--frobnicate'");
    expect(host.hash()).toBe(pristine);
  });

  it('a host the kit cannot edit exits 1, naming the file, and changes nothing', async () => {
    const broken = createTempHost(host.root);
    try {
      const queues = 'packages/shared/src/queues.ts';
      broken.write(queues, broken.read(queues).replace('} as const;', '};'));
      const before = broken.hash();
      const run = await runGenJob(broken.root, ['--answers', answersFile, '--json']);
      expect(run.exitCode).toBe(1);
      const report = parseReport(run.stdout);
      expect(report.errors).toEqual([
        { file: queues, message: expect.stringContaining(`${queues}: found no`) },
      ]);
      expect(broken.hash()).toBe(before);

      const human = await runGenJob(broken.root, ['--answers', answersFile]);
      expect(human.exitCode).toBe(1);
      expect(human.stderr).toMatch(/^error: packages\/shared\/src\/queues\.ts: found no /);
      expect(human.stderr).toContain('Nothing was written.');
    } finally {
      broken.remove();
    }
  });

  it('a prettier configuration that does not load exits 1, naming it, not the generated code', async () => {
    const broken = createTempHost(host.root);
    try {
      broken.write('.prettierrc', '{ "singleQuote": true,, }\n');
      const before = broken.hash();
      const run = await runGenJob(broken.root, ['--answers', answersFile, '--json', '--no-verify']);
      expect(run.exitCode).toBe(1);
      expect(parseReport(run.stdout).errors).toEqual([
        {
          file: '.prettierrc',
          message: expect.stringMatching(
            /^\.prettierrc: prettier cannot load it \(.*line 1, column 23\); fix it, then run again$/,
          ),
        },
      ]);
      expect(broken.hash()).toBe(before);
    } finally {
      broken.remove();
    }
  });

  let diff = '';

  it('--dry-run prints a unified diff of every file and writes nothing', async () => {
    const run = await runGenJob(host.root, ['--answers', answersFile, '--dry-run']);
    expect(run.exitCode).toBe(0);
    diff = run.stdout.slice(0, run.stdout.indexOf('\nDry run: nothing was written.'));
    for (const file of CREATED) expect(diff).toContain(`--- /dev/null\n+++ b/${file}\n`);
    for (const file of MODIFIED) expect(diff).toContain(`--- a/${file}\n+++ b/${file}\n`);
    expect(run.stdout).toContain('Dry run: nothing was written.');
    expect(run.stdout).toContain(`would be created   ${CREATED[0]}`);
    expect(host.hash()).toBe(pristine);
  });

  it('--dry-run --json carries the same diff in one document', async () => {
    const run = await runGenJob(host.root, ['--answers', answersFile, '--dry-run', '--json']);
    expect(run.exitCode).toBe(0);
    const report = parseReport(run.stdout);
    expect(report).toMatchObject({ ok: true, dryRun: true, rolledBack: false });
    expect(report.diff).toBe(diff);
    expect(report.files).toEqual({ created: CREATED, modified: MODIFIED, deleted: [] });
    expect(host.hash()).toBe(pristine);
  });

  let before: Record<string, string> = {};

  it('--json reports the files, every check and its result, and exits 0', async () => {
    before = Object.fromEntries(MODIFIED.map((file) => [file, host.read(file)]));
    const run = await runGenJob(host.root, ['--answers', answersFile, '--json']);
    expect(run.exitCode).toBe(0);
    const report = parseReport(run.stdout);
    expect(report).toMatchObject({
      ok: true,
      exitCode: 0,
      dryRun: false,
      rolledBack: false,
      errors: [],
      jobs: [{ name: 'AUDIT_LOG_EXPORT', constant: 'AUDIT_LOG_EXPORT', queue: 'audit-log-export' }],
      files: { created: CREATED, modified: MODIFIED, deleted: [] },
    });
    const checks = report.checks.map(({ check, target, ok }) => `${check} ${target} ${ok}`);
    expect(checks.sort()).toEqual(
      [
        ...[...CREATED, ...MODIFIED].map((file) => `parse+format ${file} true`),
        'typecheck packages/shared true',
        'typecheck apps/worker true',
        'typecheck apps/api true',
        'test apps/worker (vitest) true',
      ].sort(),
    );
    // A time is reported for every check (a measured time is never negative: checking
    // that could not fail).
    expect(report.checks.filter((check) => !Number.isFinite(check.durationMs))).toEqual([]);
  });

  it('the dry run diff applied to the files before gives exactly what was written', () => {
    const patches = parsePatch(diff);
    expect(patches).toHaveLength(CREATED.length + MODIFIED.length);
    for (const patch of patches) {
      const file = (patch.newFileName ?? '').replace(/^b\//, '');
      const applied = applyPatch(before[file] ?? '', patch);
      expect(applied, file).toBe(host.read(file));
    }
  });

  it('the same answers again are refused as a duplicate, touching nothing', async () => {
    const written = host.hash();
    // Refused after planning started: the process must still exit by itself, at once.
    const run = await execa(
      'node',
      [join(repoRoot, 'scripts/bin/gen-job.mjs'), '--root', host.root, '--answers', answersFile],
      { reject: false, timeout: 30_000, env: { FORCE_COLOR: '0' } },
    );
    expect(run.timedOut, 'gen:job did not exit after refusing').toBe(false);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      'error: name: "AUDIT_LOG_EXPORT" becomes AUDIT_LOG_EXPORT (\'audit-log-export\'), and QUEUE_NAMES already has AUDIT_LOG_EXPORT',
    );
    expect(run.stderr).toContain('Nothing was written.');
    expect(host.hash()).toBe(written);
  });
});

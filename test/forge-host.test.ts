import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../scripts/jobkit/doctor/inspect-host.js';
import { adoptInto, type AdoptedHost } from './support/adopted-host.js';
import { repoRoot } from './support/temp-host.js';

/**
 * The kit adopted with `jobkit:adopt` into a copy of test/fixtures/forge-host, a host
 * written with ForgeStack's traits (see its package.json), installed on its own with
 * pnpm: the kit builds there beside the host's TypeScript 5 and runs on the host's
 * prettier, and verifies with the host's own tools.
 */
const fixture = join(repoRoot, 'test/fixtures/forge-host');
const answers = join(repoRoot, 'test/answers/partner-sync.json');

function manifest(root: string): {
  type?: string;
  scripts?: Record<string, string>;
  devDependencies: Record<string, string>;
} {
  return JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as ReturnType<
    typeof manifest
  >;
}

describe('the kit adopted into a host with ForgeStack traits', () => {
  let host: AdoptedHost;

  beforeAll(async () => {
    host = await adoptInto(fixture, ['packages/shared', 'packages/db']);
    // As an install filtered to the worker and the API leaves it.
    rmSync(join(host.root, 'apps/web/node_modules'), { recursive: true, force: true });
  }, 600_000);
  afterAll(() => host?.remove());

  it("adds its scripts and only the dev dependencies the host lacks; the host's type, TypeScript and prettier stay", () => {
    const before = manifest(fixture);
    const after = manifest(host.root);
    expect(after.type).toBe(undefined);
    expect(after.devDependencies.typescript).toBe(before.devDependencies.typescript);
    expect(after.devDependencies.prettier).toBe(before.devDependencies.prettier);
    const kit = manifest(repoRoot);
    const added = Object.keys(after.devDependencies).filter(
      (name) => !(name in before.devDependencies),
    );
    expect(added.sort()).toEqual(
      ['change-case', 'diff', 'esbuild', 'execa', 'handlebars', 'plop', 'zod'].sort(),
    );
    for (const name of added) expect(after.devDependencies[name]).toBe(kit.devDependencies[name]);
    expect(after.scripts).toMatchObject({ 'gen:job': 'node scripts/bin/gen-job.mjs' });
    // It ends with the settings it detected and the doctor's report.
    expect(host.adoption).toMatch(/testRunner\s+jest\s+\(detected: apps\/worker\/package\.json\)/);
    expect(host.adoption).toMatch(/Queues \(3\)/);
  });

  it("refuses to overwrite a host's own file, naming it, before changing anything", async () => {
    const scriptsFile = join(host.root, 'scripts/bin/gen-job.mjs');
    const original = readFileSync(scriptsFile, 'utf8');
    writeFileSync(scriptsFile, `${original}// the host's own change\n`);
    const { execa } = await import('execa');
    const result = await execa('node', [join(repoRoot, 'scripts/bin/adopt.mjs'), host.root], {
      reject: false,
    });
    writeFileSync(scriptsFile, original);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/would overwrite scripts\/bin\/gen-job\.mjs/);
    expect(await host.status()).toBe('');
  });

  it("generates a webhook + database job checked by the host's own tools, pre-existing diagnostics counted apart", async () => {
    const report = await host.genJob(['--answers', answers]);
    expect(report.errors).toEqual([]);
    const checks = Object.fromEntries(
      report.checks
        .filter((check) => check.check !== 'parse+format')
        .map((check) => [
          `${check.check} ${check.target}`,
          { ok: check.ok, preExisting: check.preExisting, skipped: check.skipped !== undefined },
        ]),
    );
    expect(checks).toEqual({
      // shared is read through its dist by the worker, the API and db: rebuilt first.
      'build packages/shared': { ok: true, preExisting: undefined, skipped: false },
      'typecheck packages/shared': { ok: true, preExisting: undefined, skipped: false },
      // db imports shared; checked with the tsconfig its build uses (its full one
      // includes a script that does not type-check in a CommonJS package).
      'typecheck packages/db': { ok: true, preExisting: undefined, skipped: false },
      // Likewise the API (its full tsconfig stops tsc at TS6059 before any type check).
      'typecheck apps/api': { ok: true, preExisting: undefined, skipped: false },
      // sdk imports shared's sources and has a type error of its own.
      'typecheck packages/sdk': { ok: true, preExisting: 1, skipped: false },
      'typecheck apps/worker': { ok: true, preExisting: undefined, skipped: false },
      'test apps/worker (jest)': { ok: true, preExisting: undefined, skipped: false },
      // Its dependencies are not installed: reported, not failed.
      'typecheck apps/web': { ok: true, preExisting: undefined, skipped: true },
    });
    expect(readFileSync(join(host.root, 'packages/shared/dist/index.d.ts'), 'utf8')).toMatch(
      /jobs\/partner-sync\.job/,
    );
  }, 300_000);

  let statusAfterRemoval = '';
  it('removes the job again', async () => {
    const report = await host.genJob(['--remove', 'PARTNER_SYNC']);
    expect(report.errors).toEqual([]);
    statusAfterRemoval = await host.status();
  }, 300_000);

  it('leaves git status as before the generation', () => {
    expect(statusAfterRemoval).toBe('');
  });

  it('fails on a new diagnostic in a file it did not write, and puts back the files and the rebuilt dist', async () => {
    // An exhaustive map of the queues: a new queue makes it incomplete (TS2741).
    const labels = 'apps/api/src/queue/queue-labels.ts';
    writeFileSync(
      join(host.root, labels),
      "import type { QueueName } from '@forgestack/shared';\n\nexport const QUEUE_LABELS: Record<QueueName, string> = {\n  'welcome-email': 'Welcome',\n  'audit-logs': 'Audit',\n  'notification-email': 'Notification',\n};\n",
    );
    const statusBefore = await host.status();
    const dist = readFileSync(join(host.root, 'packages/shared/dist/index.d.ts'), 'utf8');
    const report = await host.genJob(['--answers', answers]);
    expect(report.exitCode).toBe(1);
    expect(report.rolledBack).toBe(true);
    const message = report.errors.map((error) => error.message).join('\n');
    expect(message).toMatch(/^apps\/api: the generated code does not type-check/);
    expect(message).toMatch(/queue-labels\.ts.*TS2741/);
    // Only the new diagnostic, not sdk's own.
    expect(message).not.toMatch(/TS2322/);
    expect(await host.status()).toBe(statusBefore);
    expect(readFileSync(join(host.root, 'packages/shared/dist/index.d.ts'), 'utf8')).toBe(dist);
  }, 300_000);

  it('sees the API produce its queues with addJob(literal) and the one queue with no worker', async () => {
    const { report } = (await host.doctor()) as { report: DoctorReport };
    const findings = report.findings.map((finding) => `${finding.severity}: ${finding.message}`);
    expect(findings.filter((finding) => finding.startsWith('warning'))).toEqual([]);
    expect(findings.some((finding) => /^error: .*'email'/.test(finding))).toBe(true);
  });
});

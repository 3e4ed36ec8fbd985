import { createPatch } from 'diff';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../scripts/jobkit/core/report.js';
import { generateWithJson, runGenJob } from './support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from './support/temp-host.js';

/**
 * Pins the generated output. Each case generates into its own copy of a host with
 * verification on, so the kit itself type-checks every affected package with the
 * host's own tsconfig and runs the generated tests with the host's own runner
 * before the files are compared.
 */
interface Case {
  /** An answers file of test/answers, or a filled-in job prompt (`spec:` and its path). */
  answers: string;
  /** The host copied for the case: this repository, or a fixture of test/fixtures. */
  host: string;
  runner: 'vitest' | 'jest';
  about: string;
}

const CASES: Record<string, Case> = {
  'audit-log-export': {
    answers: 'audit-log-export.json',
    host: repoRoot,
    runner: 'vitest',
    about: 'the seed example: email, database, a follow-up job, other steps',
  },
  'seed-as-written': {
    answers: 'spec:scripts/jobkit/spec/__fixtures__/seed-example.md',
    host: repoRoot,
    runner: 'vitest',
    about:
      "the seed's example block as is, through --from-spec: userEmail a plain string, the recipient by its name",
  },
  'optional-recipients': {
    answers: 'optional-recipients.json',
    host: repoRoot,
    runner: 'vitest',
    about: 'an optional recipient named among two, an optional webhook URL: both steps conditional',
  },
  minimal: {
    answers: 'minimal.json',
    host: repoRoot,
    runner: 'vitest',
    about: 'no fields, no side effects',
  },
  'every-side-effect': {
    answers: 'every-side-effect.json',
    host: repoRoot,
    runner: 'vitest',
    about: 'every field type and side effect, fixed backoff',
  },
  'acme-host': {
    answers: 'acme-batch.json',
    host: join(repoRoot, 'test/fixtures/acme-host'),
    runner: 'jest',
    about:
      'a batch into a host shaped differently: @acme scope, jest, ./queues, registerWorker, narrow addJob, tracing, other prettier settings',
  },
};

/** The files every job is anchored into; the rest of a job is new files. */
const MODIFIED = [
  'apps/api/src/queue/queue.service.ts',
  'apps/worker/src/worker.ts',
  'packages/shared/src/index.ts',
  'packages/shared/src/queues.ts',
];

describe.each(Object.entries(CASES))(
  'snapshot: %s',
  (name, { answers, host: from, runner, about }) => {
    let host: TempHost;
    let report: RunReport;
    const before = new Map<string, string>();

    beforeAll(async () => {
      host = createTempHost(from);
      for (const file of MODIFIED) before.set(file, host.read(file));
      if (answers.startsWith('spec:')) {
        const spec = join(repoRoot, answers.slice('spec:'.length));
        const run = await runGenJob(host.root, ['--from-spec', spec, '--json']);
        report = JSON.parse(run.stdout) as RunReport;
      } else {
        const input = JSON.parse(
          readFileSync(new URL(`./answers/${answers}`, import.meta.url), 'utf8'),
        ) as unknown;
        report = await generateWithJson(host.root, input);
      }
    });
    afterAll(() => host.remove());

    it(`is written, type-checks and passes its generated tests (${about})`, () => {
      expect(report.errors).toEqual([]);
      expect(report.exitCode).toBe(0);
      const checks = report.checks.map(({ check, target, ok }) => ({ check, target, ok }));
      expect(checks).toEqual(
        expect.arrayContaining([
          { check: 'typecheck', target: 'packages/shared', ok: true },
          { check: 'typecheck', target: 'apps/worker', ok: true },
          { check: 'typecheck', target: 'apps/api', ok: true },
          { check: 'test', target: `apps/worker (${runner})`, ok: true },
        ]),
      );
    });

    it('changes the four anchored files and nothing else besides the new ones', () => {
      expect([...report.files.modified].sort()).toEqual([...MODIFIED].sort());
      expect(report.files.deleted).toEqual([]);
      for (const file of report.files.created) {
        expect(file).toMatch(/^(packages\/shared\/src|apps\/worker\/src)\//);
      }
    });

    it('matches the pinned output: new files whole, edited files as their diff', async () => {
      for (const file of report.files.created) {
        await expect(host.read(file)).toMatchFileSnapshot(`./__snapshots__/${name}/${file}`);
      }
      for (const file of report.files.modified) {
        const patch = createPatch(file, before.get(file) ?? '', host.read(file), '', '', {
          context: 3,
        });
        await expect(patch).toMatchFileSnapshot(`./__snapshots__/${name}/${file}.diff`);
      }
    });
  },
);

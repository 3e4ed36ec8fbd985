import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../scripts/jobkit/core/report.js';
import { generateWithJson } from './support/run-kit.js';
import { createTempHost, type TempHost } from './support/temp-host.js';

/**
 * Pins the generated output. Each case generates into its own copy of this
 * repository with verification on, so the kit itself type-checks every affected
 * package and runs the generated tests before the files are compared.
 */
const CASES = {
  'audit-log-export': 'the seed example: email, database, a follow-up job, other steps',
  minimal: 'no fields, no side effects',
  'every-side-effect': 'every field type and side effect, fixed backoff',
} as const;

describe.each(Object.entries(CASES))('snapshot: %s (%s)', (name) => {
  let host: TempHost;
  let report: RunReport;

  beforeAll(async () => {
    host = createTempHost();
    const answers = JSON.parse(
      readFileSync(new URL(`./answers/${name}.json`, import.meta.url), 'utf8'),
    ) as unknown;
    report = await generateWithJson(host.root, answers);
  });
  afterAll(() => host.remove());

  it('is written, type-checks and passes its generated tests', () => {
    expect(report.errors).toEqual([]);
    expect(report.exitCode).toBe(0);
    const checks = report.checks.map(({ check, target, ok }) => ({ check, target, ok }));
    expect(checks).toEqual(
      expect.arrayContaining([
        { check: 'typecheck', target: 'packages/shared', ok: true },
        { check: 'typecheck', target: 'apps/worker', ok: true },
        { check: 'typecheck', target: 'apps/api', ok: true },
        { check: 'test', target: 'apps/worker (vitest)', ok: true },
      ]),
    );
  });

  it('changes exactly the expected files', () => {
    expect(report.files.created).toHaveLength(3);
    expect(report.files.modified).toEqual([
      'packages/shared/src/queues.ts',
      'packages/shared/src/index.ts',
      'apps/worker/src/worker.ts',
      'apps/api/src/queue/queue.service.ts',
    ]);
  });

  it('matches the pinned output', async () => {
    for (const file of [...report.files.created, ...report.files.modified]) {
      await expect(host.read(file)).toMatchFileSnapshot(`./__snapshots__/${name}/${file}`);
    }
  });
});

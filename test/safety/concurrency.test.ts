import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../scripts/jobkit/core/lock.js';
import { runGenJob, type KitRun } from '../support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * Vitest setup for the host's worker project: with JOBKIT_TEST_GATE set, the run's
 * tests wait until that folder holds a file named `release`, after leaving a file
 * `holding-<pid>` there. A kit run verifying its job then holds its lock until the
 * test says so, however fast or slow the machine is.
 */
const GATE = `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const gate = process.env.JOBKIT_TEST_GATE;
if (gate) {
  writeFileSync(join(gate, \`holding-\${process.pid}\`), '');
  while (!existsSync(join(gate, 'release'))) await delay(20);
}
`;

/**
 * Two runs started together on one repository: the lock lets exactly one through,
 * the other stops at once, and the result is exactly what one run alone writes.
 */
describe('two runs at once', () => {
  let racing: TempHost;
  let alone: TempHost;
  let dir: string;
  let answersFile: string;

  beforeAll(() => {
    racing = createTempHost();
    racing.write('apps/worker/test-gate.mjs', GATE);
    racing.write(
      'apps/worker/vitest.config.ts',
      racing
        .read('apps/worker/vitest.config.ts')
        .replace("include: ['src/**/*.spec.ts'],", "$&\n    setupFiles: ['./test-gate.mjs'],"),
    );
    // A copy of the same tree, so the two end states can be compared byte for byte.
    alone = createTempHost(racing.root);
    dir = mkdtempSync(join(tmpdir(), 'jobkit-race-'));
    answersFile = join(dir, 'answers.json');
    copyFileSync(join(repoRoot, 'test/answers/audit-log-export.json'), answersFile);
  });
  afterAll(() => {
    racing.remove();
    alone.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets one through, stops the other with the lock message, and corrupts nothing', async () => {
    // The winner's generated test waits at the gate, with the lock held, until the
    // loser has finished (or both are there, if the lock let both through).
    const gate = mkdtempSync(join(tmpdir(), 'jobkit-gate-'));
    const started = [0, 1].map(() =>
      runGenJob(racing.root, ['--answers', answersFile], undefined, { JOBKIT_TEST_GATE: gate }),
    );
    let oneFinished = false;
    void Promise.race(started).then(() => (oneFinished = true));
    const atGate = () => readdirSync(gate).filter((name) => name.startsWith('holding-')).length;
    while (!oneFinished && atGate() < 2) await delay(20);
    writeFileSync(join(gate, 'release'), '');
    const runs: KitRun[] = await Promise.all(started);
    // Exactly one run reached its tests: the gate held the winner, and only the winner.
    expect(atGate()).toBe(1);
    rmSync(gate, { recursive: true, force: true });
    const codes = runs.map((run) => run.exitCode).sort();
    expect(codes, runs.map((run) => run.stderr).join('\n')).toEqual([0, 1]);
    const loser = runs.find((run) => run.exitCode === 1);
    expect(loser?.stderr).toMatch(
      /^error: \.jobkit\.lock: another job kit run \(pid \d+, started [^)]+\) is changing this repository; wait for it to finish and run again\. If no run is going on, delete \.jobkit\.lock and run again$/m,
    );
    expect(loser?.stderr).toContain('Nothing was written.');
    expect(existsSync(join(racing.root, LOCK_FILE))).toBe(false);

    const single = await runGenJob(alone.root, ['--answers', answersFile]);
    expect(single.exitCode).toBe(0);
    expect(racing.hash()).toBe(alone.hash());
  });
});

import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../scripts/jobkit/core/lock.js';
import { runGenJob, type KitRun } from '../support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

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
    // With verification on, the winner holds the lock for seconds, far longer than
    // the loser needs to start and reach it.
    const runs: KitRun[] = await Promise.all([
      runGenJob(racing.root, ['--answers', answersFile]),
      runGenJob(racing.root, ['--answers', answersFile]),
    ]);
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

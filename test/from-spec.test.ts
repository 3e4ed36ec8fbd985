import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../scripts/jobkit/core/report.js';
import { runGenJob } from './support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from './support/temp-host.js';

/**
 * `pnpm gen:job --from-spec`: the filled-in job prompt as the answers. That the seed's
 * example generates a job that type-checks and passes its tests is pinned by the
 * snapshot test (case seed-as-written); these runs check the command's other promises
 * without verification.
 */
const fixture = (name: string) => join(repoRoot, 'scripts/jobkit/spec/__fixtures__', name);
const seedExample = readFileSync(fixture('seed-example.md'), 'utf8');

describe('pnpm gen:job --from-spec', () => {
  let host: TempHost;
  beforeAll(() => {
    host = createTempHost();
  });
  afterAll(() => host.remove());

  it('prints how each line was read, then the plan (standard input, dry run)', async () => {
    const run = await runGenJob(host.root, ['--from-spec', '-', '--dry-run'], seedExample);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('Read standard input:');
    expect(run.stdout).toContain('line 26  backoff: exponential from 1,000 ms');
    expect(run.stdout).toContain('line 27  timeout: 300 s');
    expect(run.stdout).toMatch(/line 34 {2}email recipient: data\.userEmail \(a plain string/);
    expect(run.stdout).toContain("Job AUDIT_LOG_EXPORT (queue 'audit-log-export')");
    expect(run.stdout).toContain('Dry run: nothing was written.');
  });

  it('refuses an unreadable spec by line, text and what it expected, and writes nothing', async () => {
    const before = host.hash();
    const run = await runGenJob(host.root, ['--from-spec', fixture('unreadable-behavior.md')]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(
      'unreadable-behavior.md:10: "- Priority: high": expected a priority from 1 (runs first) to 10',
    );
    expect(run.stderr).toContain('Nothing was written.');
    expect(host.hash()).toBe(before);
  });

  it('prints the answers it read, which --answers then accepts as they are', async () => {
    const printed = await runGenJob(host.root, [
      '--from-spec',
      fixture('host-queue-trigger.md'),
      '--print-answers',
    ]);
    expect(printed.exitCode, printed.stderr).toBe(0);
    expect(printed.stderr).toContain('side effect: follow-up, queues WELCOME_EMAIL');
    const answers = JSON.parse(printed.stdout) as { sideEffects: { triggers: string[] } };
    expect(answers.sideEffects.triggers).toEqual(['WELCOME_EMAIL', 'NOTIFICATION_EMAIL']);
    const file = join(host.root, 'onboard-user.json');
    writeFileSync(file, printed.stdout);
    const generated = await runGenJob(host.root, ['--answers', file, '--dry-run']);
    expect(generated.stdout).toContain("Job ONBOARD_USER (queue 'onboard-user')");
  });

  it("keeps --json's stdout one document, and locates the repository's refusals in the spec", async () => {
    const spec = join(host.root, 'clash.md');
    writeFileSync(spec, '### Job: WELCOME_EMAIL\n- Purpose: Again\n- Trigger: Twice\n');
    const run = await runGenJob(host.root, ['--from-spec', spec, '--json']);
    expect(run.exitCode).toBe(2);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.errors[0]?.path).toBe(`${spec}:1 (name)`);
    expect(run.stderr).toContain('line 1  job WELCOME_EMAIL');
  });

  it('refuses --print-answers without --from-spec, and two sources at once', async () => {
    const alone = await runGenJob(host.root, ['--print-answers']);
    expect(alone.exitCode).toBe(2);
    expect(alone.stderr).toContain('--print-answers: prints what --from-spec read');
    const both = await runGenJob(host.root, ['--from-spec', '-', '--answers', '-']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('give either --answers or --from-spec, not both');
  });
});

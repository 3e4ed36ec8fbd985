import { execa } from 'execa';
import { join } from 'node:path';
import type { RunReport } from '../../scripts/jobkit/core/report.js';
import { repoRoot } from './temp-host.js';

export interface KitRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `pnpm gen:job`'s command (the compiled kit of this repository) against `root`,
 * with `env` added to this process's environment.
 */
export async function runGenJob(
  root: string,
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): Promise<KitRun> {
  const result = await execa(
    'node',
    [join(repoRoot, 'scripts/bin/gen-job.mjs'), '--root', root, ...args],
    {
      reject: false,
      ...(input === undefined ? {} : { input }),
      env: { FORCE_COLOR: '0', ...env },
    },
  );
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the generator with answers on standard input and `--json`, returning the report. */
export async function generateWithJson(
  root: string,
  answers: unknown,
  args: string[] = [],
): Promise<RunReport & { run: KitRun }> {
  const run = await runGenJob(root, ['--answers', '-', '--json', ...args], JSON.stringify(answers));
  return { ...(JSON.parse(run.stdout) as RunReport), run };
}

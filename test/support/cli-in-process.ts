import { PassThrough } from 'node:stream';
import { main } from '../../scripts/jobkit/cli/gen-job.js';
import type { KitRun } from './run-kit.js';
import { repoRoot } from './temp-host.js';

/** Collects what a stream receives. */
function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/**
 * `pnpm gen:job` run in this process against `root`: the same `main` the launcher
 * calls, without starting Node again, for tests that run the CLI many times.
 */
export async function genJobInProcess(root: string, args: string[]): Promise<KitRun> {
  const stdout = capture();
  const stderr = capture();
  const exitCode = await main(['--root', root, ...args], {
    kitRoot: repoRoot,
    stdout: stdout.stream,
    stderr: stderr.stream,
  });
  return { exitCode, stdout: stdout.text(), stderr: stderr.text() };
}

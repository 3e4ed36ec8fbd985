import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Teardown } from './runtime-services.js';
import { repoRoot } from './temp-host.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves when the process printed "ready"; rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves when the process printed `line`; rejects if it exits first. */
  printed(line: string): Promise<void>;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts `test/support/crash-worker.ts` under tsx in `hostRoot`. At teardown a
 * process still running gets SIGTERM (a graceful stop), then SIGKILL if it
 * has not exited within 10 s.
 */
export function startWorkerProcess(
  teardown: Teardown,
  hostRoot: string,
  env: Record<string, string>,
): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'test/support/crash-worker.ts')],
    {
      cwd: hostRoot,
      env: { ...process.env, HOST_ROOT: hostRoot, LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const printed = (line: string): Promise<void> => {
    const seen = new Promise<void>((resolve, reject) => {
      const onData = (): void => {
        if (stdout.split('\n').includes(line)) resolve();
      };
      onData();
      child.stdout?.on('data', onData);
      child.once('error', reject);
      void exited.then(({ code, signal }) =>
        reject(
          new Error(
            `worker process exited (${code ?? signal}) before it printed ${line}:\n${stderr}`,
          ),
        ),
      );
    });
    // Awaited by the test; this only keeps a failure before that from being reported
    // as unhandled.
    seen.catch(() => undefined);
    return seen;
  };
  const ready = printed('ready');
  teardown.add(`stop worker process ${child.pid ?? '?'}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      const { code, signal } = await exited;
      if (code !== 0) throw new Error(`worker process ended with ${code ?? signal}:\n${stderr}`);
    } finally {
      clearTimeout(timer);
    }
  });
  return { child, ready, printed, exited, stderr: () => stderr };
}

import { execa } from 'execa';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunReport } from '../../scripts/jobkit/core/report.js';
import { repoRoot } from './temp-host.js';

/** A host the kit was adopted into with `jobkit:adopt`: it runs its own copy of the kit. */
export interface AdoptedHost {
  root: string;
  /** What `jobkit:adopt` printed. */
  adoption: string;
  /** `git status --porcelain` of the host, build outputs and node_modules ignored. */
  status(): Promise<string>;
  /** Runs the host's own copy of `gen:job` with `--json`. */
  genJob(args: string[]): Promise<RunReport>;
  /** Runs the host's own copy of `jobs:doctor` with `--json`. */
  doctor(): Promise<{ exitCode: number; report: unknown }>;
  /** Runs `command` in the host folder `dir` with its node_modules/.bin on the PATH. */
  run(dir: string, command: string): Promise<{ exitCode: number; output: string }>;
  remove(): void;
}

const quiet = { FORCE_COLOR: '0', NO_COLOR: '1' };

/**
 * Copies a fixture host into a temporary folder, commits it to a new git repository,
 * adopts the kit into it with `node scripts/bin/adopt.mjs` (which installs the host
 * with pnpm), then builds the packages listed in `build` with their own build
 * scripts and commits that state: `status()` is empty until the kit changes a file.
 */
export async function adoptInto(fixture: string, build: string[]): Promise<AdoptedHost> {
  const root = mkdtempSync(join(tmpdir(), 'jobkit-adopted-'));
  cpSync(fixture, root, { recursive: true });
  const git = (...args: string[]) =>
    execa('git', args, {
      cwd: root,
      env: {
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-qm', 'host');
  const run = async (dir: string, command: string) => {
    const result = await execa(command, {
      cwd: join(root, dir),
      shell: true,
      preferLocal: true,
      localDir: join(root, dir),
      reject: false,
      all: true,
      env: quiet,
    });
    return { exitCode: result.exitCode ?? -1, output: result.all ?? '' };
  };
  const adopted = await execa('node', [join(repoRoot, 'scripts/bin/adopt.mjs'), root], {
    reject: false,
    all: true,
    // The packages are in the store from this repository's own install.
    env: { ...quiet, npm_config_prefer_offline: 'true' },
  });
  if (adopted.exitCode !== 0) throw new Error(`jobkit:adopt failed:\n${adopted.all ?? ''}`);
  for (const dir of build) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
      scripts: { build: string };
    };
    const built = await run(dir, manifest.scripts.build);
    if (built.exitCode !== 0) throw new Error(`${dir} does not build:\n${built.output}`);
  }
  await git('add', '-A');
  await git('commit', '-qm', 'adopted');
  return {
    root,
    adoption: adopted.all ?? '',
    status: async () => (await git('status', '--porcelain')).stdout,
    async genJob(args) {
      const result = await execa('node', ['scripts/bin/gen-job.mjs', '--json', ...args], {
        cwd: root,
        reject: false,
        env: quiet,
      });
      return JSON.parse(result.stdout) as RunReport;
    },
    async doctor() {
      const result = await execa('node', ['scripts/bin/jobs-doctor.mjs', '--json'], {
        cwd: root,
        reject: false,
        env: quiet,
      });
      return { exitCode: result.exitCode ?? -1, report: JSON.parse(result.stdout) as unknown };
    },
    run,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

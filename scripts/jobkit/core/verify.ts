import { relative } from 'node:path';
import { affectedProjects, projectOf, readWorkspace } from '../host/workspace.js';
import { CheckFailedError } from './errors.js';
import type { CheckResult } from './format.js';

const TEST_FILE = /\.(spec|test)\.[cm]?tsx?$/;

/** The last lines of a tool's output: enough to see the error, short enough to print. */
function tail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

interface Command {
  check: 'typecheck' | 'test';
  target: string;
  file: string;
  args: string[];
  cwd: string;
}

/**
 * Type-checks every project the written files can affect and runs the generated
 * tests with each project's own runner, all at once (they are independent). Throws
 * `CheckFailedError` for the first failure, after every command has finished.
 */
export async function verifyChanges(
  root: string,
  files: readonly string[],
  checks: CheckResult[],
  defaultRunner: 'vitest' | 'jest',
): Promise<void> {
  const projects = readWorkspace(root);
  const commands: Command[] = affectedProjects(projects, files)
    .filter((project) => project.hasTsconfig)
    .map((project) => ({
      check: 'typecheck',
      target: project.dir,
      file: 'tsc',
      args: ['-p', project.dir, '--noEmit'],
      cwd: root,
    }));

  const testsByProject = new Map<string, string[]>();
  for (const file of files.filter((path) => TEST_FILE.test(path))) {
    const dir = projectOf(projects, file)?.dir ?? '.';
    testsByProject.set(dir, [...(testsByProject.get(dir) ?? []), file]);
  }
  for (const [dir, tests] of testsByProject) {
    const runner = projects.find((project) => project.dir === dir)?.testRunner ?? defaultRunner;
    const relativeTests = tests.map((test) => relative(dir, test));
    commands.push({
      check: 'test',
      target: `${dir} (${runner})`,
      file: runner,
      args:
        runner === 'vitest'
          ? ['run', ...relativeTests]
          : ['--ci', '--runTestsByPath', ...relativeTests],
      cwd: `${root}/${dir}`,
    });
  }

  const { execa } = await import('execa');
  const env = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true', NODE_OPTIONS: '' };
  const results = await Promise.all(
    commands.map(async (command) => {
      const started = performance.now();
      const result = await execa(command.file, command.args, {
        cwd: command.cwd,
        preferLocal: true,
        localDir: root,
        reject: false,
        all: true,
        env,
        extendEnv: false,
      });
      const check: CheckResult = {
        check: command.check,
        target: command.target,
        ok: result.exitCode === 0,
        durationMs: performance.now() - started,
        ...(result.exitCode === 0 ? {} : { output: tail(result.all ?? String(result.message)) }),
      };
      checks.push(check);
      return { command, check };
    }),
  );
  const failed = results.find(({ check }) => !check.ok);
  if (failed) {
    const what = failed.command.check === 'typecheck' ? 'does not type-check' : 'failed its tests';
    throw new CheckFailedError(
      `${failed.command.target}: the generated code ${what}:\n${failed.check.output ?? ''}`,
      failed.command.check,
      failed.command.target,
      failed.check.output,
    );
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { affectedProjects, projectOf, readWorkspace, type Project } from '../host/workspace.js';
import { CheckFailedError, KitError } from './errors.js';
import type { CheckResult } from './format.js';

const TEST_FILE = /\.(spec|test)\.[cm]?tsx?$/;

/** The last lines of a tool's output: enough to see the error, short enough to print. */
function tail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

/** What a check command printed and how it ended. */
interface CommandResult {
  exitCode: number | undefined;
  output: string;
}

interface Command {
  check: 'typecheck' | 'test';
  target: string;
  run: () => Promise<CommandResult>;
}

/** The runner of the tests in project folder `dir`: its package.json's, else the host's. */
function testRunnerOf(
  projects: readonly Project[],
  dir: string,
  defaultRunner: 'vitest' | 'jest',
): 'vitest' | 'jest' {
  return projects.find((project) => project.dir === dir)?.testRunner ?? defaultRunner;
}

/** Where vitest's start-up script lives in the kit (see scripts/bin/vitest-run.mjs). */
const VITEST_RUN = 'scripts/bin/vitest-run.mjs';
/** vitest-run's exit code when the host's vitest has no usable Node API. */
const NO_NODE_API = 3;

function checkEnv(): Record<string, string | undefined> {
  return { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true', NODE_OPTIONS: '' };
}

async function runTool(
  file: string,
  args: string[],
  cwd: string,
  signal?: AbortSignal,
): Promise<CommandResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    cwd,
    preferLocal: true,
    // The project's own node_modules/.bin first (jest in a jest package), then
    // its parents' up to the root's.
    localDir: cwd,
    reject: false,
    all: true,
    env: checkEnv(),
    extendEnv: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  return { exitCode: result.exitCode, output: result.all ?? String(result.message) };
}

/**
 * The arguments of `vitest run` for generated tests; scripts/bin/vitest-run.mjs gives
 * vitest's Node API the same options.
 */
function vitestArgs(tests: readonly string[]): string[] {
  // Generated tests inject their doubles and share no module or process state, so
  // one module graph for all of them is safe (a batch need not import the handlers'
  // dependencies once per file), and worker threads start faster than forks.
  return ['run', '--no-isolate', '--pool=threads', ...tests];
}

/**
 * Vitest started before the files it will test are written: it loads itself while
 * the kit loads and plans, is told the project that will hold the generated tests
 * (`useProject`, once the host's layout is known) and loads that project's config,
 * so only running the tests is left for after writing. `run` takes the files
 * relative to the project; `dispose` stops it when no tests are run after all.
 */
export interface StartedTestRunner {
  /** The project folder given to `useProject`, relative to the repository. */
  readonly dir: string | undefined;
  /** Once: vitest-run.mjs takes the project from the first line it reads. */
  useProject(dir: string): void;
  run(tests: readonly string[], signal?: AbortSignal): Promise<CommandResult>;
  /** Stops vitest if it was not asked to run; resolves once its process has ended. */
  dispose(): Promise<void>;
}

/**
 * The project that will hold the generated tests of `testsDir`, when that project
 * runs vitest; undefined otherwise (jest and others start when they run).
 */
export function vitestProjectOf(
  root: string,
  testsDir: string,
  defaultRunner: 'vitest' | 'jest',
): string | undefined {
  const projects = readWorkspace(root);
  const dir = projectOf(projects, `${testsDir}/`)?.dir ?? '.';
  return testRunnerOf(projects, dir, defaultRunner) === 'vitest' ? dir : undefined;
}

/**
 * Starts vitest's loader (scripts/bin/vitest-run.mjs) in the repository at once,
 * before the project of the tests is known: loading vitest is the longest part of
 * its start, and it does not depend on the project.
 */
export async function startTestRunner(root: string, kitRoot: string): Promise<StartedTestRunner> {
  const { execa } = await import('execa');
  const controller = new AbortController();
  const started = execa(process.execPath, [join(kitRoot, VITEST_RUN)], {
    cwd: root,
    reject: false,
    all: true,
    env: checkEnv(),
    extendEnv: false,
    cancelSignal: controller.signal,
  });
  let dir: string | undefined;
  let used = false;
  return {
    get dir() {
      return dir;
    },
    useProject(projectDir) {
      // A second line would reach vitest-run.mjs as the list of test files.
      if (dir !== undefined) throw new KitError(`the test runner already runs in ${dir}`);
      dir = projectDir;
      started.stdin?.write(`${join(root, projectDir)}\n`);
    },
    async run(tests, signal) {
      if (dir === undefined) throw new KitError('the test runner was not told its project');
      used = true;
      const cancel = (): void => controller.abort(signal?.reason);
      signal?.addEventListener('abort', cancel, { once: true });
      try {
        started.stdin?.end(`${JSON.stringify(tests)}\n`);
        const result = await started;
        if (result.exitCode === NO_NODE_API)
          return runTool('vitest', vitestArgs(tests), join(root, dir), signal);
        return { exitCode: result.exitCode, output: result.all ?? String(result.message) };
      } finally {
        signal?.removeEventListener('abort', cancel);
      }
    },
    async dispose() {
      if (used) return;
      controller.abort();
      await started;
    },
  };
}

/**
 * The compiler binary of the host's TypeScript 7, found the way its own `tsc`
 * launcher finds it (the package's getExePath). That launcher is a Node process, and
 * pnpm's shim a shell, in front of the binary: ~60 ms of start-up per project for
 * nothing. Undefined when the host has no such TypeScript: then its `tsc` runs.
 */
async function nativeTsc(root: string): Promise<string | undefined> {
  let manifest: string;
  try {
    manifest = createRequire(join(root, 'package.json')).resolve('typescript/package.json');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const locator = join(dirname(manifest), 'lib', 'getExePath.js');
  if (Number.parseInt(version, 10) < 7 || !existsSync(locator)) return undefined;
  const { default: getExePath } = (await import(pathToFileURL(locator).href)) as {
    default: () => string;
  };
  try {
    return getExePath();
  } catch (error) {
    // No binary for this platform: the launcher fails the same way and says so in
    // the check's output, as it always has.
    if (error instanceof Error) return undefined;
    throw error;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    // tsconfig files may hold comments; such a project is simply checked on its own.
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/**
 * Whether type-checking `dependent` also type-checks `dependency` exactly as its own
 * check would: the dependent imports the dependency's TypeScript sources (its
 * package points at `.ts`, not at built `.d.ts`), so they are part of the
 * dependent's program, and both projects compile with the same options (the same
 * base, neither adding options). Then one compiler run instead of two gives the
 * same diagnostics for every file the change can reach.
 */
function coversTypeCheck(root: string, dependency: Project, dependent: Project): boolean {
  if (dependency === dependent || !dependent.dependencies.includes(dependency.name)) return false;
  const manifest = readJson(join(root, dependency.dir, 'package.json'));
  const exported = manifest?.exports;
  const entry =
    typeof exported === 'string'
      ? exported
      : typeof exported === 'object' && exported !== null && '.' in exported
        ? (exported as Record<string, unknown>)['.']
        : (manifest?.types ?? manifest?.main);
  if (typeof entry !== 'string' || !entry.endsWith('.ts') || entry.endsWith('.d.ts')) return false;
  const own = readJson(join(root, dependency.dir, 'tsconfig.json'));
  const theirs = readJson(join(root, dependent.dir, 'tsconfig.json'));
  if (!own || !theirs || own.compilerOptions !== undefined || theirs.compilerOptions !== undefined)
    return false;
  if (typeof own.extends !== 'string' || typeof theirs.extends !== 'string') return false;
  return (
    resolve(root, dependency.dir, own.extends) === resolve(root, dependent.dir, theirs.extends) &&
    Object.keys(own).every((key) => ['extends', 'include', 'exclude'].includes(key))
  );
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
  /** Stops every command when aborted (the run was interrupted). */
  signal?: AbortSignal,
  /** Vitest already started for the project of the generated tests, if any. */
  startedRunner?: StartedTestRunner,
): Promise<void> {
  const projects = readWorkspace(root);
  const native = await nativeTsc(root);
  // The checks run side by side, so each compiler's own threads would only compete
  // for the same cores: single-threaded, TypeScript 7 gives the same diagnostics for
  // about a third less CPU.
  const [tsc, threads] = native ? [native, ['--singleThreaded']] : ['tsc', []];
  const typed = affectedProjects(projects, files).filter((project) => project.hasTsconfig);
  const coveredBy = new Map(
    typed.flatMap((project) => {
      const dependent = typed.find((other) => coversTypeCheck(root, project, other));
      return dependent ? [[project.dir, dependent.dir] as const] : [];
    }),
  );
  const commands: Command[] = typed
    .filter((project) => !coveredBy.has(project.dir))
    .map((project) => ({
      check: 'typecheck',
      target: project.dir,
      run: () => runTool(tsc, ['-p', project.dir, '--noEmit', ...threads], root, signal),
    }));

  const testsByProject = new Map<string, string[]>();
  // A deleted test (removing a job) has nothing left to run.
  const tests = files.filter((path) => TEST_FILE.test(path) && existsSync(join(root, path)));
  for (const file of tests) {
    const dir = projectOf(projects, file)?.dir ?? '.';
    testsByProject.set(dir, [...(testsByProject.get(dir) ?? []), file]);
  }
  for (const [dir, tests] of testsByProject) {
    const runner = testRunnerOf(projects, dir, defaultRunner);
    const relativeTests = tests.map((test) => relative(dir, test));
    const cwd = `${root}/${dir}`;
    commands.push({
      check: 'test',
      target: `${dir} (${runner})`,
      run:
        runner !== 'vitest'
          ? () => runTool(runner, ['--ci', '--runTestsByPath', ...relativeTests], cwd, signal)
          : startedRunner?.dir === dir
            ? () => startedRunner.run(relativeTests, signal)
            : () => runTool('vitest', vitestArgs(relativeTests), cwd, signal),
    });
  }

  const results = await Promise.all(
    commands.map(async (command) => {
      const started = performance.now();
      const result = await command.run();
      const check: CheckResult = {
        check: command.check,
        target: command.target,
        ok: result.exitCode === 0,
        durationMs: performance.now() - started,
        ...(result.exitCode === 0 ? {} : { output: tail(result.output) }),
      };
      checks.push(check);
      return { command, check };
    }),
  );
  // A package checked within its dependent passes or fails with it.
  for (const [dir, by] of coveredBy) {
    const covering = results.find(
      ({ command }) => command.check === 'typecheck' && command.target === by,
    );
    checks.push({
      check: 'typecheck',
      target: dir,
      ok: covering?.check.ok ?? false,
      durationMs: 0,
      output: `checked within ${by}`,
    });
  }
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

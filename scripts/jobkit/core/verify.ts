import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { affectedByImports } from '../host/affected.js';
import { projectOf, readWorkspace, type Project } from '../host/workspace.js';
import { BuiltOutputs, buildOutputDir } from './builds.js';
import { CheckFailedError, KitError } from './errors.js';
import type { CheckResult } from './format.js';
import {
  checkInputsDigest,
  DiagnosticsCache,
  missingDependencies,
  newDiagnostics,
  packageCheck,
  parseDiagnostics,
  readManifest,
  type PackageCheck,
} from './package-check.js';
import type { FileChange } from './tree.js';

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
  /** `file` is a command line for the shell (a package script). */
  shell = false,
): Promise<CommandResult> {
  const { execa } = await import('execa');
  const result = await execa(file, args, {
    cwd,
    shell,
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

/** What verification needs from the run besides its files. */
export interface VerifyTree {
  /**
   * Puts every file as it was before the run, runs `work`, then writes the run's
   * files again: pre-existing diagnostics are found by checking that tree.
   */
  withTreeBefore<T>(work: () => Promise<T>): Promise<T>;
  /** Called when the run's files are put back (a failed check, an interrupt). */
  onRollback(undo: () => void): void;
  /** Called when the run's files are kept. */
  onKept(done: () => void): void;
}

interface Typecheck {
  project: Project;
  how: Extract<PackageCheck, { kind: 'run' }>;
  /** The workspace packages whose folders the check reads, its own first. */
  inputs: string[];
}

/** The workspace packages `project` depends on, directly or not, itself included. */
function withDependencies(projects: readonly Project[], project: Project): Project[] {
  const found = new Set([project]);
  for (const each of found) {
    for (const other of projects) if (each.dependencies.includes(other.name)) found.add(other);
  }
  return [...found];
}

function runCheck(
  root: string,
  { project, how }: Typecheck,
  signal?: AbortSignal,
): Promise<CommandResult> {
  return runTool(how.file, how.args, join(root, project.dir), signal, how.shell);
}

/**
 * Verifies the run's files against the tree before the run. The packages they can
 * affect (see affectedByImports) are each type-checked with their own TypeScript and
 * tsconfig, or their own `typecheck` script; a package its dependents read through
 * its build output is rebuilt with its own build script first. Generated tests run
 * with each package's own runner. Diagnostics the tree before the run already had
 * are counted as pre-existing; only new ones fail. A package that cannot be checked
 * at all is reported as not checked, with the reason. Throws `CheckFailedError` for
 * the first failure, after every command has finished.
 */
export async function verifyChanges(
  root: string,
  changes: readonly FileChange[],
  checks: CheckResult[],
  defaultRunner: 'vitest' | 'jest',
  /** Stops every command when aborted (the run was interrupted). */
  signal?: AbortSignal,
  /** Vitest already started for the project of the generated tests, if any. */
  startedRunner?: StartedTestRunner,
  tree?: VerifyTree,
): Promise<void> {
  const files = changes.map((change) => change.path);
  const projects = readWorkspace(root);
  const affected = affectedByImports(root, projects, files);
  const cache = new DiagnosticsCache(root);
  const before = new Map(changes.map((change) => [change.path, change.before] as const));

  const typechecks: Typecheck[] = [];
  for (const project of affected) {
    const how = await packageCheck(root, project);
    const manifest = readManifest(root, project.dir);
    if (how.kind === 'not checked') {
      checks.push({
        check: 'typecheck',
        target: project.dir,
        ok: true,
        durationMs: 0,
        skipped: how.reason,
      });
      continue;
    }
    if (!project.hasTsconfig && manifest.scripts?.typecheck === undefined) continue;
    const inputs = withDependencies(projects, project).map((each) => each.dir);
    typechecks.push({ project, how, inputs });
  }
  const coveredBy = new Map(
    typechecks.flatMap(({ project }) => {
      const dependent = typechecks.find((other) => coversTypeCheck(root, project, other.project));
      return dependent ? [[project.dir, dependent.project.dir] as const] : [];
    }),
  );
  const own = typechecks.filter(({ project }) => !coveredBy.has(project.dir));
  // The digest of each check's inputs before the run: the key of its pre-existing diagnostics.
  const digestBefore = new Map(
    own.map((typecheck) => [
      typecheck.project.dir,
      checkInputsDigest(root, typecheck.inputs, typecheck.how.describe, before),
    ]),
  );

  // Packages holding a changed file whose affected dependents read their build output.
  const outputs = new BuiltOutputs(root);
  tree?.onRollback(() => outputs.restore());
  tree?.onKept(() => outputs.discard());
  const builds = new Map<string, Promise<CheckResult>>();
  for (const project of affected) {
    if (!files.some((file) => projectOf(projects, file) === project)) continue;
    const manifest = readManifest(root, project.dir);
    const folder = buildOutputDir(manifest);
    const readByDependent = affected.some(
      (other) => other !== project && other.dependencies.includes(project.name),
    );
    if (folder === undefined || !readByDependent || manifest.scripts?.build === undefined) continue;
    outputs.save(project.dir, folder);
    const script = manifest.scripts.build;
    builds.set(
      project.name,
      (async () => {
        const started = performance.now();
        const result = await runCheck(
          root,
          {
            project,
            how: { kind: 'run', file: script, args: [], shell: true, describe: script },
            inputs: [],
          },
          signal,
        );
        const check: CheckResult = {
          check: 'build',
          target: project.dir,
          ok: result.exitCode === 0,
          durationMs: performance.now() - started,
          ...(result.exitCode === 0 ? {} : { output: tail(result.output) }),
        };
        checks.push(check);
        return check;
      })(),
    );
  }

  const typecheckResults = own.map(async (typecheck) => {
    // A package is checked once the packages it reads the output of are built.
    const needed = typecheck.project.dependencies.flatMap((name) => builds.get(name) ?? []);
    const built = await Promise.all(needed);
    const broken = built.find((check) => !check.ok);
    if (broken) return { typecheck, diagnostics: [], skipped: `${broken.target} did not build` };
    const started = performance.now();
    const result = await runCheck(root, typecheck, signal);
    const diagnostics = parseDiagnostics(result.output, result.exitCode);
    cache.set(
      checkInputsDigest(root, typecheck.inputs, typecheck.how.describe),
      diagnostics.map((diagnostic) => diagnostic.key),
    );
    return { typecheck, diagnostics, durationMs: performance.now() - started };
  });

  const testsByProject = new Map<string, string[]>();
  // A deleted test (removing a job) has nothing left to run.
  const tests = files.filter((path) => TEST_FILE.test(path) && existsSync(join(root, path)));
  for (const file of tests) {
    const dir = projectOf(projects, file)?.dir ?? '.';
    testsByProject.set(dir, [...(testsByProject.get(dir) ?? []), file]);
  }
  const testResults = [...testsByProject].map(async ([dir, tests]) => {
    const runner = testRunnerOf(projects, dir, defaultRunner);
    const relativeTests = tests.map((test) => relative(dir, test));
    const cwd = `${root}/${dir}`;
    const target = `${dir} (${runner})`;
    const project = projects.find((each) => each.dir === dir);
    const missing = project ? missingDependencies(root, project) : [];
    if (missing.length > 0) {
      const check: CheckResult = {
        check: 'test',
        target,
        ok: true,
        durationMs: 0,
        skipped: `its dependencies are not installed (${missing.slice(0, 3).join(', ')})`,
      };
      checks.push(check);
      return check;
    }
    const started = performance.now();
    const result =
      runner !== 'vitest'
        ? await runTool(runner, ['--ci', '--runTestsByPath', ...relativeTests], cwd, signal)
        : startedRunner?.dir === dir
          ? await startedRunner.run(relativeTests, signal)
          : await runTool('vitest', vitestArgs(relativeTests), cwd, signal);
    const check: CheckResult = {
      check: 'test',
      target,
      ok: result.exitCode === 0,
      durationMs: performance.now() - started,
      ...(result.exitCode === 0 ? {} : { output: tail(result.output) }),
    };
    checks.push(check);
    return check;
  });

  const [typechecked, tested] = await Promise.all([
    Promise.all(typecheckResults),
    Promise.all(testResults),
  ]);
  await Promise.all(builds.values());

  // Diagnostics the tree before the run had, from the cache or by checking that tree.
  const unknown = typechecked.filter(
    ({ typecheck, diagnostics }) =>
      diagnostics.length > 0 &&
      cache.get(digestBefore.get(typecheck.project.dir) ?? '') === undefined,
  );
  if (unknown.length > 0 && tree) {
    signal?.throwIfAborted();
    await tree.withTreeBefore(() =>
      outputs.withOutputsBefore(async () => {
        await Promise.all(
          unknown.map(async ({ typecheck }) => {
            const result = await runCheck(root, typecheck, signal);
            cache.set(
              digestBefore.get(typecheck.project.dir) ?? '',
              parseDiagnostics(result.output, result.exitCode).map((diagnostic) => diagnostic.key),
            );
          }),
        );
      }),
    );
  }
  cache.save();

  const typecheckChecks = typechecked.map(({ typecheck, diagnostics, durationMs, skipped }) => {
    const target = typecheck.project.dir;
    if (skipped !== undefined) {
      const check: CheckResult = { check: 'typecheck', target, ok: true, durationMs: 0, skipped };
      checks.push(check);
      return check;
    }
    const known = cache.get(digestBefore.get(target) ?? '') ?? [];
    const added = newDiagnostics(diagnostics, known);
    const preExisting = diagnostics.length - added.length;
    const check: CheckResult = {
      check: 'typecheck',
      target,
      ok: added.length === 0,
      durationMs: durationMs ?? 0,
      ...(preExisting > 0 ? { preExisting } : {}),
      ...(added.length > 0
        ? { output: tail(added.map((diagnostic) => diagnostic.text).join('\n')) }
        : {}),
    };
    checks.push(check);
    return check;
  });
  // A package checked within its dependent passes or fails with it.
  for (const [dir, by] of coveredBy) {
    const covering = typecheckChecks.find((check) => check.target === by);
    checks.push({
      check: 'typecheck',
      target: dir,
      ok: covering?.ok ?? false,
      durationMs: 0,
      output: `checked within ${by}`,
    });
  }
  const builtChecks = await Promise.all(builds.values());
  const failed = [...builtChecks, ...typecheckChecks, ...tested].find((check) => !check.ok);
  if (failed) {
    const what =
      failed.check === 'typecheck'
        ? 'does not type-check'
        : failed.check === 'build'
          ? 'does not build'
          : 'failed its tests';
    throw new CheckFailedError(
      `${failed.target}: the generated code ${what}:\n${failed.output ?? ''}`,
      failed.check,
      failed.target,
      failed.output,
    );
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRunner, vitestProjectOf } from '../scripts/jobkit/core/verify.js';
import { createTempHost, repoRoot, type TempHost } from './support/temp-host.js';

/**
 * Vitest started before the generated files exist (scripts/bin/vitest-run.mjs), in
 * the repository and before it is told the project of the tests: it must find and
 * run files written after it started, report a failing one with vitest's own output
 * and exit code, and end without running anything when the kit stops before
 * verifying, told its project or not.
 */

const TESTS_DIR = 'apps/worker/src/handlers/__tests__';

function spec(name: string, passes: boolean): string {
  return [
    "import { expect, it } from 'vitest';",
    `it('${name}', () => {`,
    `  expect(1 + 1).toBe(${passes ? 2 : 3});`,
    '});',
    '',
  ].join('\n');
}

describe('vitest started ahead of the files it tests', () => {
  let host: TempHost;

  beforeAll(() => {
    host = createTempHost();
  });
  afterAll(() => host.remove());

  /** A runner started in the temporary host and told the project of its tests. */
  async function startedInProject() {
    const runner = await startTestRunner(host.root, repoRoot);
    runner.useProject('apps/worker');
    return runner;
  }

  it('runs a test file written after it started, and passes', async () => {
    expect(vitestProjectOf(host.root, TESTS_DIR, 'vitest')).toBe('apps/worker');
    const runner = await startTestRunner(host.root, repoRoot);
    expect(runner.dir).toBe(undefined);
    runner.useProject('apps/worker');
    expect(runner.dir).toBe('apps/worker');
    host.write(`${TESTS_DIR}/written-later.handler.spec.ts`, spec('adds up', true));
    const result = await runner.run(['src/handlers/__tests__/written-later.handler.spec.ts']);
    expect(result.output).toContain('1 passed');
    expect(result.exitCode).toBe(0);
  });

  it('fails with vitest’s report when a test fails', async () => {
    const runner = await startedInProject();
    host.write(`${TESTS_DIR}/failing.handler.spec.ts`, spec('does not add up', false));
    const result = await runner.run(['src/handlers/__tests__/failing.handler.spec.ts']);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('does not add up');
    expect(result.output).toContain('expected 2 to be 3');
  });

  it('fails when a named file does not exist', async () => {
    const runner = await startedInProject();
    const result = await runner.run(['src/handlers/__tests__/missing.handler.spec.ts']);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('No test files found');
  });

  it('stops when the run ends before verifying, and a cancelled run stops too', async () => {
    // Each resolves only once its process has ended: the test times out otherwise.
    const neverTold = await startTestRunner(host.root, repoRoot);
    await neverTold.dispose();
    const told = await startedInProject();
    await told.dispose();
    const cancelled = await startedInProject();
    const controller = new AbortController();
    host.write(`${TESTS_DIR}/slow.handler.spec.ts`, spec('adds up', true));
    const running = cancelled.run(
      ['src/handlers/__tests__/slow.handler.spec.ts'],
      controller.signal,
    );
    controller.abort(new Error('interrupted'));
    const result = await running;
    expect(result.exitCode).not.toBe(0);
  });

  it('refuses to run before it is told its project', async () => {
    const runner = await startTestRunner(host.root, repoRoot);
    await expect(runner.run(['src/handlers/__tests__/any.handler.spec.ts'])).rejects.toThrow(
      'the test runner was not told its project',
    );
    await runner.dispose();
  });

  it('is told its project once', async () => {
    const runner = await startedInProject();
    expect(() => runner.useProject('apps/api')).toThrow(
      'the test runner already runs in apps/worker',
    );
    expect(runner.dir).toBe('apps/worker');
    await runner.dispose();
  });

  it('is not used for a project that runs jest', () => {
    // The fixture's worker tests run with jest, whatever the default says.
    const acme = `${repoRoot}/test/fixtures/acme-host`;
    expect(vitestProjectOf(acme, 'apps/worker/src/handlers/__tests__', 'vitest')).toBe(undefined);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRunner } from '../scripts/jobkit/core/verify.js';
import { createTempHost, repoRoot, type TempHost } from './support/temp-host.js';

/**
 * Vitest started before the generated files exist (scripts/bin/vitest-run.mjs): it
 * must find and run files written after it started, report a failing one with
 * vitest's own output and exit code, and end without running anything when the
 * kit stops before verifying.
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

  it('runs a test file written after it started, and passes', async () => {
    const runner = await startTestRunner(host.root, repoRoot, TESTS_DIR, 'vitest');
    expect(runner?.dir).toBe('apps/worker');
    host.write(`${TESTS_DIR}/written-later.handler.spec.ts`, spec('adds up', true));
    const result = await runner!.run(['src/handlers/__tests__/written-later.handler.spec.ts']);
    expect(result.output).toContain('1 passed');
    expect(result.exitCode).toBe(0);
  });

  it('fails with vitest’s report when a test fails', async () => {
    const runner = await startTestRunner(host.root, repoRoot, TESTS_DIR, 'vitest');
    host.write(`${TESTS_DIR}/failing.handler.spec.ts`, spec('does not add up', false));
    const result = await runner!.run(['src/handlers/__tests__/failing.handler.spec.ts']);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('does not add up');
    expect(result.output).toContain('expected 2 to be 3');
  });

  it('fails when a named file does not exist', async () => {
    const runner = await startTestRunner(host.root, repoRoot, TESTS_DIR, 'vitest');
    const result = await runner!.run(['src/handlers/__tests__/missing.handler.spec.ts']);
    expect(result.exitCode).toBe(1);
    expect(result.output).toContain('No test files found');
  });

  it('stops when the run ends before verifying, and a cancelled run stops too', async () => {
    const unused = await startTestRunner(host.root, repoRoot, TESTS_DIR, 'vitest');
    // Resolves only once its process has ended: the test times out otherwise.
    await unused!.dispose();
    const cancelled = await startTestRunner(host.root, repoRoot, TESTS_DIR, 'vitest');
    const controller = new AbortController();
    host.write(`${TESTS_DIR}/slow.handler.spec.ts`, spec('adds up', true));
    const running = cancelled!.run(
      ['src/handlers/__tests__/slow.handler.spec.ts'],
      controller.signal,
    );
    controller.abort(new Error('interrupted'));
    const result = await running;
    expect(result.exitCode).not.toBe(0);
  });

  it('is not started for a project that runs jest', async () => {
    // The fixture's worker tests run with jest, whatever the default says.
    const acme = `${repoRoot}/test/fixtures/acme-host`;
    expect(
      await startTestRunner(acme, repoRoot, 'apps/worker/src/handlers/__tests__', 'vitest'),
    ).toBe(undefined);
  });
});

import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/temp-host.js';

/**
 * Keeps `pnpm bench` working: every suite runs once on a tiny setting (small hosts,
 * a short batch, a few hundred runtime jobs) and must produce every figure. Timings
 * are never asserted here; they depend on the machine and on what else runs. About
 * a minute on a quiet 2-core machine, ten on a loaded one: `pnpm test:long` runs it,
 * not `pnpm test`, and its timeout only ends a hang.
 */
describe('pnpm bench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every suite once and writes every figure', { timeout: 1_800_000 }, async () => {
    const out = join(dir, 'results.json');
    const run = await execa(
      'node',
      [
        '--import',
        'tsx',
        'scripts/bench/bench.ts',
        '--runs',
        '1',
        '--small',
        '10',
        '--large',
        '30',
        '--batch',
        '2',
        '--runtime-jobs',
        '200',
        '--runtime-warmup',
        '50',
        '--out',
        out,
      ],
      { cwd: repoRoot, reject: false, all: true, env: { FORCE_COLOR: '0' } },
    );
    expect(run.exitCode, run.all).toBe(0);
    expect(run.stdout).toMatch(/^bench: \d+\/8 targets met/m);

    const results = JSON.parse(readFileSync(out, 'utf8')) as {
      measurements: Record<string, { unit: string; median: number; samples: number[] }>;
      ratios: Record<string, { value: number }>;
      targets: Record<string, { value: number; met: boolean }>;
    };
    expect(Object.keys(results.measurements).sort()).toEqual(
      [
        'scripted.kit',
        'scripted.node-e-0',
        'scripted.plain-edits',
        'scripted.plain-edits-prettier',
        'scripted.plop-tsx',
        'verified.kit',
        'verified.prettier',
        'verified.tsc.packages-shared',
        'verified.tsc.apps-api',
        'verified.tsc.apps-worker',
        'verified.vitest',
        'scale.kit-10',
        'scale.kit-30',
        'batch.kit-2',
        'batch.kit-1',
        'runtime.generated',
        'runtime.bare',
        'runtime.bare-signal',
        'runtime.bare-signal-result',
        'runtime.generated-minimal',
        'runtime.generated.cpu',
        'runtime.handwritten',
        'runtime.handwritten.cpu',
        'runtime.bare.cpu',
        'runtime.bare-signal.cpu',
        'runtime.bare-signal-result.cpu',
        'runtime.generated-minimal.cpu',
        'interactive.pnpm-plop-job',
        'interactive.node-plop-job',
        'interactive.plop-tsx',
      ].sort(),
    );
    for (const [name, measurement] of Object.entries(results.measurements)) {
      expect(measurement.samples, name).toHaveLength(1);
      expect(measurement.median, name).toBeGreaterThan(0);
    }
    expect(Object.keys(results.targets).sort()).toEqual([
      '1.scripted.seconds',
      '1.scripted.vs-plop',
      '2.verified.seconds',
      '2.verified.vs-tools',
      '3.scale',
      '4.batch',
      '5.runtime',
      '6.interactive.seconds',
    ]);
    for (const [name, ratio] of Object.entries(results.ratios)) {
      expect(Number.isFinite(ratio.value), name).toBe(true);
    }
  });
});

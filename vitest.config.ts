import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Most of the end-to-end tests' time is spent waiting for the processes they start
    // (the kit, tsc, vitest, jest, Redis round trips): two test files at a time keep a
    // 2-core machine busy, where vitest's default (cores - 1) runs one.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      'packages/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      {
        test: {
          name: 'kit',
          include: ['scripts/jobkit/**/*.spec.ts'],
          // Some specs format hundreds of texts with prettier: seconds on a quiet
          // machine, several times that on a loaded one. This only ends a hang.
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'kit-e2e',
          include: ['test/**/*.test.ts'],
          // Runs of the kit that type-check and test what they write: tens of seconds
          // on a quiet machine, minutes on a loaded one. This only ends a hang.
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One test file per core: most end-to-end tests wait on the processes they start
    // (the kit, tsc, vitest, jest), so a second file keeps the cores busy. Tests that
    // share Redis or PostgreSQL use queue prefixes and table names of their own.
    maxWorkers: '100%',
    projects: [
      'packages/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      {
        test: {
          name: 'kit',
          include: ['scripts/jobkit/**/*.spec.ts'],
          // The kit's specs plan on virtual trees and keep no state between files:
          // one module graph for all of them halves their time (22 s -> 11 s).
          isolate: false,
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

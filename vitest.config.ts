import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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

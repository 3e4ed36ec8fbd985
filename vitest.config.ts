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
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});

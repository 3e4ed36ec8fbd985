import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'shared',
    include: ['src/**/*.spec.ts'],
    // Tests talk to Redis and PostgreSQL; waits end on events, and this only ends a
    // hang, so it leaves room for a loaded machine.
    testTimeout: 30_000,
  },
});

/**
 * How long a test waits for something that takes a few seconds before it calls it
 * hung: far above what it takes on a loaded machine, so only a hang gets there, and
 * below the end-to-end tests' own timeout (vitest.config.ts), so the failure names
 * what was awaited.
 */
export const HANG_MS = 120_000;

#!/usr/bin/env node
// Runs `vitest run --no-isolate --pool=threads <files>` in a project through vitest's
// Node API, started before the files exist. Started in the repository, it loads
// vitest's Node API at once, then reads two lines on standard input: the project's
// folder (absolute), where it loads the project's config, then a JSON array of the
// test files (relative to the project), which it runs; it exits with vitest's code.
// The kit starts it as it starts itself, so vitest's own start-up (~0.5 s) is not
// added to the checks after writing. An empty line or a closed input ends it
// without running anything. Exit code 3: this vitest has no usable Node API.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const NO_NODE_API = 3;

// Lines are taken as soon as they come (the iterator buffers them), whatever vitest
// is doing meanwhile; once the input has closed, every further line reads as empty.
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextLine() {
  const { done, value } = await lines.next();
  return done ? '' : value;
}

/** The manifest of the vitest that `dir` resolves, or undefined when it has none. */
function vitestManifestFrom(dir) {
  try {
    return createRequire(join(dir, 'package.json')).resolve('vitest/package.json');
  } catch {
    return undefined;
  }
}

async function loadCreateVitest(manifestPath) {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const target = manifest.exports?.['./node'];
    const entry = typeof target === 'string' ? target : (target?.import ?? target?.default);
    if (typeof entry !== 'string') return undefined;
    const api = await import(pathToFileURL(join(dirname(manifestPath), entry)).href);
    return typeof api.createVitest === 'function' ? api.createVitest : undefined;
  } catch (error) {
    process.stderr.write(`cannot load vitest's Node API: ${error.message}\n`);
    return undefined;
  }
}

// What vitest's own CLI sets before it creates its context.
process.env.TEST = 'true';
process.env.VITEST = 'true';
process.env.NODE_ENV ??= 'test';

// The repository's vitest, loading while the project is not known yet; most
// projects of a workspace resolve the same one.
const early = vitestManifestFrom(process.cwd());
const loadingEarly = early ? loadCreateVitest(early) : undefined;

const project = (await nextLine()).trim();
if (project !== '') {
  const manifest = vitestManifestFrom(project);
  const createVitest = !manifest
    ? undefined
    : manifest === early
      ? await loadingEarly
      : await loadCreateVitest(manifest);
  if (!createVitest) {
    process.exitCode = NO_NODE_API;
  } else {
    // As vitest's CLI runs in the project's folder: its config, root and paths.
    process.chdir(project);
    // The options `vitestArgs` in scripts/jobkit/core/verify.ts gives the vitest CLI
    // when this API is missing (see why there); the two must stay equal.
    const vitest = await createVitest('test', {
      run: true,
      watch: false,
      isolate: false,
      pool: 'threads',
    });
    try {
      const line = (await nextLine()).trim();
      const files = line === '' ? [] : JSON.parse(line);
      if (files.length > 0) await vitest.start(files);
    } catch (error) {
      // Vitest has already said when it found none of the files.
      if (error?.code !== 'VITEST_FILES_NOT_FOUND')
        process.stderr.write(`${error?.stack ?? error}\n`);
      process.exitCode = 1;
    } finally {
      // As vitest's CLI ends a run: close, and exit even if a handle stays open.
      await vitest.exit();
    }
  }
}

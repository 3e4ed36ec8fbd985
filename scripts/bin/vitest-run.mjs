#!/usr/bin/env node
// Runs `vitest run --no-isolate --pool=threads <files>` in the current project
// through vitest's Node API, started before the files exist: it loads vitest and the
// project's config at once, then waits for one line on standard input, a JSON array
// of the test files (relative to the project), runs them and exits with vitest's code.
// The kit starts it while it plans and formats, so vitest's own start-up (~0.4 s)
// is not added to the checks after writing. An empty line or a closed input ends it
// without running anything. Exit code 3: this vitest has no usable Node API.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const NO_NODE_API = 3;

// Read the request as soon as it comes, whatever vitest is doing meanwhile.
const request = new Promise((resolve) => {
  const lines = createInterface({ input: process.stdin });
  let answered = false;
  lines.once('line', (line) => {
    answered = true;
    lines.close();
    resolve(line);
  });
  lines.once('close', () => {
    if (!answered) resolve('');
  });
});

async function loadCreateVitest() {
  try {
    const manifestPath = createRequire(join(process.cwd(), 'package.json')).resolve(
      'vitest/package.json',
    );
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

const createVitest = await loadCreateVitest();
if (!createVitest) {
  process.exitCode = NO_NODE_API;
} else {
  // The options `vitestArgs` in scripts/jobkit/core/verify.ts gives the vitest CLI
  // when this API is missing (see why there); the two must stay equal.
  const vitest = await createVitest('test', {
    run: true,
    watch: false,
    isolate: false,
    pool: 'threads',
  });
  try {
    const line = (await request).trim();
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

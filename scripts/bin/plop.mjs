#!/usr/bin/env node
// `pnpm plop`: plop's own command line on the plopfile compiled with the rest of the
// kit (see kit.mjs), so no TypeScript loader starts and the first question appears
// in about half the time of `node --import tsx node_modules/plop/bin/plop.js`.
// The repository stays plop's working folder and destination base.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kitRoot, loadKit } from './kit.mjs';

const plopfile = join(await loadKit(), 'plop', 'plopfile.js');
const plopDir = dirname(createRequire(import.meta.url).resolve('plop/package.json'));
// plop reads its options from process.argv when it loads.
process.argv.splice(2, 0, '--plopfile', plopfile, '--cwd', kitRoot, '--dest', kitRoot);
await import(pathToFileURL(join(plopDir, 'bin', 'plop.js')).href);

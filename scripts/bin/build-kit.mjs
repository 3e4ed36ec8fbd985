#!/usr/bin/env node
// Compiles the kit into node_modules/.cache/jobkit (see kit.mjs) if its sources
// changed. The root package's `postinstall` runs it, so the first `pnpm plop job`
// after installing asks its first question as fast as any later one.
import { relative } from 'node:path';
import { ensureBuilt, kitRoot } from './kit.mjs';

process.stdout.write(`job kit: compiled in ${relative(kitRoot, ensureBuilt())}\n`);

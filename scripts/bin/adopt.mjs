#!/usr/bin/env node
// `pnpm jobkit:adopt <dir>`: copies the kit into another monorepo (see --help).
import { runEntry } from './kit.mjs';

process.exitCode = await runEntry('cli/adopt.js', process.argv.slice(2));

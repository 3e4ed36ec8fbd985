#!/usr/bin/env node
// `pnpm gen:job`: the job generator without prompts (see `--help`).
import { runEntry } from './kit.mjs';

process.exitCode = await runEntry('cli/gen-job.js', process.argv.slice(2));

#!/usr/bin/env node
// Writes scripts/job-answers.schema.json from the answers' zod schema (`--check`: only compare).
import { runEntry } from './kit.mjs';

process.exitCode = await runEntry('cli/write-schema.js', process.argv.slice(2));

#!/usr/bin/env node
// `pnpm jobs:doctor`: every queue with its handler, registration and queue method, and the drift between them.
import { runEntry } from './kit.mjs';

process.exitCode = await runEntry('cli/jobs-doctor.js', process.argv.slice(2));

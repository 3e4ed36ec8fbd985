import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as prettier from 'prettier';
import { readIfPresent } from '../core/files.js';
import { answersJsonSchema } from '../job/answers.schema.js';

/** Where the JSON Schema of answers files lives, relative to the kit's root. */
export const SCHEMA_FILE = 'scripts/job-answers.schema.json';

/** The schema file's text: generated from the zod schema, formatted like the repository. */
export async function renderAnswersSchema(kitRoot: string): Promise<string> {
  const filepath = join(kitRoot, SCHEMA_FILE);
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(JSON.stringify(answersJsonSchema()), { ...options, filepath });
}

/**
 * `node scripts/bin/write-schema.mjs [--check]`: writes the JSON Schema, or with
 * `--check` only reports whether the committed one is current (exit 1 if not).
 */
export async function main(argv: string[], context: { kitRoot: string }): Promise<number> {
  const path = join(context.kitRoot, SCHEMA_FILE);
  const text = await renderAnswersSchema(context.kitRoot);
  const current = readIfPresent(path);
  if (argv.includes('--check')) {
    if (current === text) return 0;
    process.stderr.write(`${SCHEMA_FILE} is out of date; run node scripts/bin/write-schema.mjs\n`);
    return 1;
  }
  if (current !== text) writeFileSync(path, text);
  process.stdout.write(`${SCHEMA_FILE}: ${current === text ? 'up to date' : 'written'}\n`);
  return 0;
}

import { join } from 'node:path';
import * as prettier from 'prettier';
import { CheckFailedError } from './errors.js';
import type { FileChange } from './tree.js';

/** A check that ran on the plan, for reports and `--json`. */
export interface CheckResult {
  check: string;
  target: string;
  ok: boolean;
  durationMs: number;
  output?: string;
}

/**
 * Formats every created or modified file with the host's prettier configuration.
 * For TypeScript, prettier parses with TypeScript's own parser (bundled in its
 * typescript plugin), so a file that does not parse fails here, naming the file
 * and the position, before anything is written.
 */
export async function formatChanges(
  root: string,
  changes: FileChange[],
  checks: CheckResult[],
): Promise<FileChange[]> {
  return Promise.all(
    changes.map(async (change) => {
      if (change.after === null) return change;
      const filepath = join(root, change.path);
      const started = performance.now();
      try {
        const options = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
        const after = await prettier.format(change.after, { ...options, filepath });
        checks.push({
          check: 'parse+format',
          target: change.path,
          ok: true,
          durationMs: performance.now() - started,
        });
        return { ...change, after };
      } catch (error) {
        const reason =
          error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
        checks.push({
          check: 'parse+format',
          target: change.path,
          ok: false,
          durationMs: performance.now() - started,
          output: reason,
        });
        throw new CheckFailedError(
          `${change.path}: generated code does not parse: ${reason}`,
          'parse',
          change.path,
        );
      }
    }),
  );
}

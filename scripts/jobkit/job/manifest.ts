import { createHash } from 'node:crypto';
import { KitError } from '../core/errors.js';
import type { FileChange, FileSource } from '../core/tree.js';

/**
 * The record of what the kit generated: for each job, the files it created and a
 * hash of each as written. Removing a job deletes only files still matching their
 * hash, so business logic written into a handler is never deleted unasked. The
 * record is one of the run's planned changes: written and put back with the rest.
 */
export const MANIFEST_FILE = '.jobkit/generated.json';

/** Job constant → file path → hash of the file as generated. */
export type Manifest = Record<string, Record<string, string>>;

export function hashText(text: string): string {
  return `sha256-${createHash('sha256').update(text).digest('base64')}`;
}

export function readManifest(source: FileSource): Manifest {
  const text = source.read(MANIFEST_FILE);
  if (text === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KitError(
      `${MANIFEST_FILE}: is not valid JSON (${(error as Error).message}); restore it from version control`,
      MANIFEST_FILE,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KitError(
      `${MANIFEST_FILE}: is not the kit's record of generated files; restore it from version control`,
      MANIFEST_FILE,
    );
  }
  return parsed as Manifest;
}

/** The manifest file with `jobs` set (a record) or removed (null), as a planned change. */
export function manifestChange(
  source: FileSource,
  jobs: Record<string, Record<string, string> | null>,
): FileChange | undefined {
  const before = source.read(MANIFEST_FILE);
  const manifest = readManifest(source);
  for (const [job, files] of Object.entries(jobs)) {
    if (files === null) delete manifest[job];
    else manifest[job] = files;
  }
  const keys = Object.keys(manifest).sort();
  const after =
    keys.length === 0
      ? null
      : `${JSON.stringify(Object.fromEntries(keys.map((key) => [key, manifest[key]])), null, 2)}\n`;
  if (after === before) return undefined;
  return { path: MANIFEST_FILE, before, after };
}

/** Each created file of `changes` that is one of `files`, with the hash of its final text. */
export function hashesOf(
  changes: readonly FileChange[],
  files: readonly string[],
): Record<string, string> {
  const wanted = new Set(files);
  return Object.fromEntries(
    changes
      .filter(
        (change) => change.before === null && change.after !== null && wanted.has(change.path),
      )
      .map((change) => [change.path, hashText(change.after ?? '')]),
  );
}

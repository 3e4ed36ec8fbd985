import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Imports `path` (TypeScript) from the host at `root`, failing with a clear message
 * when one of `names` is not exported. Used under vitest and in the worker
 * processes the crash test spawns with tsx, so it depends on neither.
 */
export async function importHostModule<T extends object>(
  root: string,
  path: string,
  names: readonly (keyof T & string)[],
): Promise<T> {
  // Always by file URL, so that the same file is one module however it is reached.
  const loaded: unknown = await import(pathToFileURL(join(root, path)).href);
  if (typeof loaded !== 'object' || loaded === null) {
    throw new Error(`${path} did not load as a module`);
  }
  const missing = names.filter((name) => !(name in loaded));
  if (missing.length > 0) throw new Error(`${path} does not export ${missing.join(', ')}`);
  return loaded as T;
}

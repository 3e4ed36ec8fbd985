import type { FileSource } from '../../scripts/jobkit/core/tree.js';

/** A repository held in memory, path to text, for plans that never touch a disk. */
export function memorySource(files: Record<string, string>): FileSource {
  return { read: (path) => files[path] ?? null };
}

import { createTwoFilesPatch } from 'diff';
import type { FileChange } from './tree.js';

/** The change of one file from `from` to `to` (null: absent) as git applies it. */
export function filePatch(path: string, from: string | null, to: string | null): string {
  return createTwoFilesPatch(
    from === null ? '/dev/null' : `a/${path}`,
    to === null ? '/dev/null' : `b/${path}`,
    from ?? '',
    to ?? '',
    undefined,
    undefined,
    { context: 3 },
  ).replace(/^=+\n/, '');
}

/** The plan as one unified diff: new files in full, deleted ones in full. */
export function unifiedDiff(changes: readonly FileChange[]): string {
  return changes.map((change) => filePatch(change.path, change.before, change.after)).join('');
}

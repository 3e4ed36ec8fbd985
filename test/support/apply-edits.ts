import type { Edit } from '../../scripts/jobkit/core/edits.js';
import { VirtualTree } from '../../scripts/jobkit/core/tree.js';
import { memorySource } from './memory-source.js';

/**
 * `source` with `edits` applied (they must not overlap) the way a plan applies them:
 * spliced into a virtual tree, the last first so earlier offsets stay valid.
 */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  const tree = new VirtualTree(memorySource({ file: source }));
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    tree.splice('file', edit.start, edit.end, edit.text, 'literal');
  }
  return tree.read('file') ?? '';
}

import { AnchorError, HostError } from './errors.js';
import { appendEdit, entryEdits, hasLine, locateAnchor, type Anchor, type Edit } from './edits.js';
import type { RegionContext, VirtualTree } from './tree.js';

/**
 * What a generator does to the repository, in plop's vocabulary: `add` a file,
 * `append` lines, `modify` a file at an anchor or by a transform. Actions run
 * against a VirtualTree, so they plan changes and never touch the disk.
 */
export type Action =
  | {
      type: 'add';
      path: string;
      content: () => string;
      /** Leave a file that already exists as it is (support modules the host may have). */
      ifMissing?: boolean;
    }
  | {
      type: 'append';
      path: string;
      content: () => string;
      unique: boolean;
      /** Where the appended code sits, so it can be formatted on its own. */
      context: RegionContext;
    }
  | {
      type: 'modify';
      path: string;
      anchor: Anchor | readonly Anchor[];
      content: () => string;
      /** Where the inserted code sits, so it can be formatted on its own. */
      context: RegionContext;
      /** Insert as an entry of an object literal, adding a comma to the one before if needed. */
      asEntry?: boolean;
      /** Skip when every line of the content is already in the file (compared literally). */
      unique?: boolean;
    }
  | {
      /** Computed edits of an existing file, such as adding names to an import, later offsets first. */
      type: 'edit';
      path: string;
      description: string;
      edits: (source: string) => (Edit & { context: RegionContext })[];
    }
  | { type: 'transform'; path: string; description: string; transform: (source: string) => string };

function existing(tree: VirtualTree, path: string): string {
  const source = tree.read(path);
  if (source === null)
    throw new HostError(`${path}: not found; the generator edits this file`, path);
  return source;
}

/** Whether every non-blank line of `text` is already a line of `source`. */
function allLinesPresent(source: string, text: string): boolean {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.length > 0 && lines.every((line) => hasLine(source, line));
}

/** `locateAnchor`, saying so when the lines are those of a file the plan already edited. */
function locate(
  tree: VirtualTree,
  path: string,
  source: string,
  anchor: Anchor | readonly Anchor[],
): number {
  try {
    return locateAnchor(path, source, anchor);
  } catch (error) {
    if (!(error instanceof AnchorError) || !tree.isChanged(path)) throw error;
    throw new AnchorError(
      `${error.message} (line numbers of the file as earlier steps of this run left it)`,
      path,
    );
  }
}

export function runAction(tree: VirtualTree, action: Action): void {
  switch (action.type) {
    case 'add': {
      if (action.ifMissing && tree.exists(action.path)) return;
      if (tree.exists(action.path))
        throw new AnchorError(
          `${action.path}: already exists; refusing to overwrite it`,
          action.path,
        );
      tree.write(action.path, action.content());
      return;
    }
    case 'append': {
      const source = existing(tree, action.path);
      const text = action.content();
      if (action.unique && allLinesPresent(source, text)) return;
      const edit = appendEdit(source, text);
      tree.splice(action.path, edit.start, edit.end, edit.text, action.context);
      return;
    }
    case 'modify': {
      const source = existing(tree, action.path);
      const text = action.content();
      if (action.unique && allLinesPresent(source, text)) return;
      const offset = locate(tree, action.path, source, action.anchor);
      if (!action.asEntry) {
        tree.splice(action.path, offset, offset, text, action.context);
        return;
      }
      const edits = entryEdits(source, offset, text);
      // The entry first: the comma goes before it, so its offset stays valid.
      tree.splice(
        action.path,
        edits.entry.start,
        edits.entry.end,
        edits.entry.text,
        action.context,
      );
      if (edits.comma)
        tree.splice(action.path, edits.comma.start, edits.comma.end, edits.comma.text, 'literal');
      return;
    }
    case 'edit': {
      for (const edit of action.edits(existing(tree, action.path))) {
        tree.splice(action.path, edit.start, edit.end, edit.text, edit.context);
      }
      return;
    }
    case 'transform': {
      tree.write(action.path, action.transform(existing(tree, action.path)));
      return;
    }
  }
}

export function runActions(tree: VirtualTree, actions: readonly Action[]): void {
  for (const action of actions) runAction(tree, action);
}

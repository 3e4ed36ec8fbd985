import { closeSync, fstatSync, openSync, type BigIntStats } from 'node:fs';
import { KitError } from './errors.js';
import { describeFsError, MAX_HOST_FILE_BYTES, readOpenFile } from './files.js';
import { join } from 'node:path';
import { codeAfterSplice } from './scan.js';

/** Where original file contents come from: the disk, or a map in tests. */
export interface FileSource {
  /** The file's text, or null when there is no such file. */
  read(path: string): string | null;
  /**
   * The identity of the file as `read` found it (see fileStamp), so a commit can tell
   * it changed on disk without reading it again; undefined when unknown.
   */
  stamp?(path: string): string | undefined;
}

/**
 * Size, modification time (ns) and inode: what changes whenever a file is written or
 * replaced. Comparing it is how the commit notices an edit made meanwhile, in place
 * of reading large files a second time.
 */
export function fileStamp(stats: BigIntStats): string {
  return `${stats.size}:${stats.mtimeNs}:${stats.ino}`;
}

/**
 * Where an inserted piece of code sits syntactically, so it can be formatted on its
 * own: a top-level `statement`, an object literal `entry`, a class `member`, or a
 * statement inside a function body (`block`). `literal` text is kept as written.
 */
export type RegionContext = 'statement' | 'entry' | 'member' | 'block' | 'literal';

/** A span of a changed file's new text that the plan inserted or rewrote. */
export interface Region {
  start: number;
  end: number;
  context: RegionContext;
}

/** A change the plan makes: `before` null creates the file, `after` null deletes it. */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
  /**
   * For an existing file changed only by splices of known context: every span that
   * differs from `before`, in order, which is all that gets formatted. Absent when
   * the file was rewritten as a whole (a removal): it is then kept as planned.
   */
  regions?: Region[];
  /** The existing file's identity on disk when the plan read it (FileSource.stamp). */
  stamp?: string;
}

/** How long after its last write a file's stamp is trusted (see diskSource). */
const RECENT_MS = 100;

export function diskSource(root: string): FileSource {
  const stamps = new Map<string, string>();
  return {
    read(path) {
      let fd: number;
      try {
        fd = openSync(join(root, path), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new KitError(`${path}: cannot be read: ${describeFsError(error)}`, path);
      }
      try {
        // Stamped from the open file: the identity belongs to the bytes read.
        const stats = fstatSync(fd, { bigint: true });
        // File times advance in clock ticks (milliseconds), so a file written just
        // now could be written again within the same tick, to the same size, and keep
        // its stamp: such a file is compared by its text instead.
        if (stats.mtimeMs < BigInt(Date.now() - RECENT_MS)) stamps.set(path, fileStamp(stats));
        return readOpenFile(fd, path, MAX_HOST_FILE_BYTES);
      } finally {
        closeSync(fd);
      }
    },
    stamp: (path) => stamps.get(path),
  };
}

/** The context of two merged spans: literal text takes the other's; two others must agree. */
function joinContexts(a: RegionContext, b: RegionContext): RegionContext | null {
  if (a === 'literal') return b;
  if (b === 'literal' || a === b) return a;
  return null;
}

/**
 * The repository as the plan would leave it. Reads fall through to the source once
 * per file; writes and deletions stay in memory until the plan is committed.
 */
export class VirtualTree {
  private readonly originals = new Map<string, string | null>();
  private readonly current = new Map<string, string | null>();
  /** Spliced spans per path; a path written as a whole has none (and loses them). */
  private readonly spliced = new Map<string, Region[]>();

  constructor(private readonly source: FileSource) {}

  /** The file as the source has it, before any change of the plan. */
  original(path: string): string | null {
    if (!this.originals.has(path)) this.originals.set(path, this.source.read(path));
    return this.originals.get(path) ?? null;
  }

  read(path: string): string | null {
    return this.current.has(path) ? (this.current.get(path) ?? null) : this.original(path);
  }

  exists(path: string): boolean {
    return this.read(path) !== null;
  }

  write(path: string, content: string): void {
    this.original(path);
    this.current.set(path, content);
    this.spliced.delete(path);
  }

  /**
   * Replaces `[start, end)` of the file's current text with `text`, remembering the
   * new span and its context. Recorded spans after it shift; spans it overlaps or
   * touches merge with it (two jobs of a batch inserting at the same anchor give one
   * span). Spans of two real contexts that merge make the file untracked: its
   * inserted code is then kept as written, since no wrapper fits it.
   */
  splice(path: string, start: number, end: number, text: string, context: RegionContext): void {
    const source = this.read(path);
    if (source === null) throw new Error(`${path}: cannot splice a file that does not exist`);
    const tracked = !this.isChanged(path) || this.spliced.has(path);
    const after = source.slice(0, start) + text + source.slice(end);
    this.current.set(path, after);
    // The kit's own edits would otherwise send a large file through a full scan again.
    codeAfterSplice(source, start, end, text, after);
    if (!tracked) return;
    const shift = text.length - (end - start);
    const map = (position: number, side: 'start' | 'end'): number => {
      if (position < start) return position;
      if (position > end || (position === end && side === 'end')) return position + shift;
      return side === 'start' ? start : start + text.length;
    };
    let merged: Region = { start, end: start + text.length, context };
    const kept: Region[] = [];
    for (const region of this.spliced.get(path) ?? []) {
      if (region.end < start || region.start > end) {
        kept.push({ ...region, start: map(region.start, 'start'), end: map(region.end, 'end') });
        continue;
      }
      const joined = joinContexts(merged.context, region.context);
      if (joined === null) {
        this.spliced.delete(path);
        return;
      }
      merged = {
        start: Math.min(merged.start, map(region.start, 'start')),
        end: Math.max(merged.end, map(region.end, 'end')),
        context: joined,
      };
    }
    this.spliced.set(
      path,
      [...kept, merged].sort((a, b) => a.start - b.start),
    );
  }

  delete(path: string): void {
    this.original(path);
    this.current.set(path, null);
  }

  /** Whether the plan has already changed `path`. */
  isChanged(path: string): boolean {
    return this.current.has(path) && this.current.get(path) !== this.original(path);
  }

  /** Every file whose content the plan changes, in the order first touched. */
  changes(): FileChange[] {
    const changes: FileChange[] = [];
    for (const [path, after] of this.current) {
      const before = this.original(path);
      if (before === after) continue;
      const regions = this.spliced.get(path);
      const stamp = before === null ? undefined : this.source.stamp?.(path);
      changes.push({
        path,
        before,
        after,
        ...(before !== null && after !== null && regions ? { regions } : {}),
        ...(stamp === undefined ? {} : { stamp }),
      });
    }
    return changes;
  }
}

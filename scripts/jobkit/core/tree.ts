import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where original file contents come from: the disk, or a map in tests. */
export interface FileSource {
  /** The file's text, or null when there is no such file. */
  read(path: string): string | null;
}

/** A change the plan makes: `before` null creates the file, `after` null deletes it. */
export interface FileChange {
  path: string;
  before: string | null;
  after: string | null;
}

export function diskSource(root: string): FileSource {
  return {
    read(path) {
      try {
        return readFileSync(join(root, path), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
  };
}

export function memorySource(files: Record<string, string>): FileSource {
  return { read: (path) => files[path] ?? null };
}

/**
 * The repository as the plan would leave it. Reads fall through to the source once
 * per file; writes and deletions stay in memory until the plan is committed.
 */
export class VirtualTree {
  private readonly originals = new Map<string, string | null>();
  private readonly current = new Map<string, string | null>();

  constructor(private readonly source: FileSource) {}

  private original(path: string): string | null {
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
      if (before !== after) changes.push({ path, before, after });
    }
    return changes;
  }
}

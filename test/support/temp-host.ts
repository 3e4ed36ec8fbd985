import { createHash } from 'node:crypto';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository this kit lives in: the host every temporary copy starts from. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const SKIPPED = new Set(['.git', '.jobkit.lock', 'coverage']);

/** A throwaway copy of a host repository that shares the original's installed packages. */
export interface TempHost {
  root: string;
  read(path: string): string;
  write(path: string, content: string): void;
  /** A digest of every file outside node_modules: equal digests mean byte-identical trees. */
  hash(): string;
  remove(): void;
}

function isSkipped(source: string, from: string): boolean {
  const path = relative(from, source);
  if (path === 'node_modules') return true;
  const name = path.split('/').pop() ?? '';
  return SKIPPED.has(name) || name.startsWith('.vite');
}

function listFiles(root: string, dir = ''): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name === 'node_modules' || entry.name === '.git') return [];
    return entry.isDirectory() ? listFiles(root, path) : [path];
  });
}

export function hashTree(root: string): string {
  const hash = createHash('sha256');
  for (const file of listFiles(root).sort()) {
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Package links in a copied node_modules that point outside the copied tree (into
 * the repository's .pnpm store, at a depth the copy does not share) are made
 * absolute; links between the host's own packages stay relative, so they resolve
 * inside the copy.
 */
function relinkOutside(from: string, copy: string, dir = ''): void {
  for (const entry of readdirSync(join(copy, dir), { withFileTypes: true })) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isSymbolicLink()) {
      if (!dir.split('/').includes('node_modules')) continue;
      const target = resolve(dirname(join(from, path)), readlinkSync(join(copy, path)));
      if (relative(from, target).startsWith('..')) {
        unlinkSync(join(copy, path));
        symlinkSync(target, join(copy, path));
      }
    } else if (entry.isDirectory() && entry.name !== '.bin') {
      const insideModules = dir.split('/').includes('node_modules');
      // Inside node_modules only scope folders (@acme/…) hold further links.
      if (!insideModules || entry.name.startsWith('@')) relinkOutside(from, copy, path);
    }
  }
}

/**
 * Copies `from` (default: this repository) into a new temporary folder. The
 * packages' own node_modules are copied with their relative links, so workspace
 * packages resolve to the copy; the root node_modules is linked, not copied.
 */
export function createTempHost(from: string = repoRoot): TempHost {
  const root = mkdtempSync(join(tmpdir(), 'jobkit-host-'));
  cpSync(from, root, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    filter: (source) => !isSkipped(source, from),
  });
  relinkOutside(from, root);
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  return {
    root,
    read: (path) => readFileSync(join(root, path), 'utf8'),
    write: (path, content) => writeFileSync(join(root, path), content),
    hash: () => hashTree(root),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

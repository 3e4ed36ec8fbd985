import { execFileSync } from 'node:child_process';
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

/** The jobs this repository ships with; tests start from a host holding only these. */
export const BASELINE_QUEUES = ['WELCOME_EMAIL', 'NOTIFICATION_EMAIL', 'WEBHOOK_DELIVERY'];

/**
 * Jobs generated into this repository since (say, AUDIT_LOG_EXPORT from the README's
 * example) are removed from the copy with the kit's own removal, so tests that
 * generate those names again start from the same host as on a fresh clone.
 */
function removeJobsBeyondBaseline(root: string): void {
  const queues = readFileSync(join(root, 'packages/shared/src/queues.ts'), 'utf8');
  const keys = [...queues.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*:/gm)].map((match) => match[1] ?? '');
  for (const key of keys.filter((name) => !BASELINE_QUEUES.includes(name))) {
    execFileSync(
      process.execPath,
      [join(repoRoot, 'scripts/bin/gen-job.mjs'), '--root', root, '--remove', key, '--no-verify'],
      {
        stdio: 'pipe',
      },
    );
  }
}

/**
 * Copies `from` (default: this repository, reduced to its baseline jobs) into a
 * new temporary folder. The packages' own node_modules are copied with their
 * relative links, so workspace packages resolve to the copy; the root
 * node_modules is linked, not copied.
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
  if (from === repoRoot) removeJobsBeyondBaseline(root);
  return {
    root,
    read: (path) => readFileSync(join(root, path), 'utf8'),
    write: (path, content) => writeFileSync(join(root, path), content),
    hash: () => hashTree(root),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

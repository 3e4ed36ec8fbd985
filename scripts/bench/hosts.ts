import { diffLines } from 'diff';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { readIfPresent } from '../jobkit/core/files.js';
import { escapeRegExp } from '../jobkit/core/regexp.js';
import { jobNames, type JobNames } from '../jobkit/job/names.js';

/** The folders a generated job writes into; restoring a host only looks there. */
const SOURCE_DIRS = ['packages/shared/src', 'apps/worker/src', 'apps/api/src'];

/** Never copied into a host: history, caches, this benchmark's own output. */
const SKIPPED = new Set(['.git', '.jobkit.lock', 'coverage', 'bench']);

/**
 * Copies the repository at `from` into `root`, like the tests' temporary hosts: the
 * packages' own node_modules keep their relative links (so workspace packages
 * resolve inside the copy) and the root node_modules is linked, not copied.
 */
export function copyHost(from: string, root: string): void {
  cpSync(from, root, {
    recursive: true,
    verbatimSymlinks: true,
    filter: (source) => {
      const path = relative(from, source);
      if (path === 'node_modules') return false;
      const name = path.split('/').pop() ?? '';
      return !SKIPPED.has(name) && !name.startsWith('.vite');
    },
  });
  symlinkSync(join(from, 'node_modules'), join(root, 'node_modules'), 'dir');
}

function listFiles(root: string, dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries.flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.name === 'node_modules') return [];
    return entry.isDirectory() ? listFiles(root, path) : [path];
  });
}

function listDirs(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules')
    .flatMap((entry) => [`${dir}/${entry.name}`, ...listDirs(root, `${dir}/${entry.name}`)]);
}

interface Recorded {
  content: Buffer;
  size: number;
  mtimeMs: number;
}

/**
 * The source folders of a host as they are now. `restore()` puts them back: files
 * added since are deleted, changed files rewritten, new folders removed. It checks
 * sizes and times first, so restoring a host of 1,000 jobs stays cheap.
 */
export class HostSnapshot {
  private readonly files = new Map<string, Recorded>();
  private readonly dirs = new Set<string>();

  constructor(readonly root: string) {
    for (const dir of SOURCE_DIRS) {
      this.dirs.add(dir);
      for (const sub of listDirs(root, dir)) this.dirs.add(sub);
      for (const file of listFiles(root, dir)) {
        const { size, mtimeMs } = statSync(join(root, file));
        this.files.set(file, { content: readFileSync(join(root, file)), size, mtimeMs });
      }
    }
  }

  restore(): void {
    rmSync(join(this.root, '.jobkit.lock'), { force: true });
    for (const dir of SOURCE_DIRS) {
      for (const file of listFiles(this.root, dir)) {
        const recorded = this.files.get(file);
        const path = join(this.root, file);
        if (!recorded) {
          unlinkSync(path);
          continue;
        }
        const { size, mtimeMs } = statSync(path);
        if (size === recorded.size && mtimeMs === recorded.mtimeMs) continue;
        writeFileSync(path, recorded.content);
        recorded.mtimeMs = statSync(path).mtimeMs;
      }
      for (const sub of listDirs(this.root, dir).reverse()) {
        if (!this.dirs.has(sub)) rmSync(join(this.root, sub), { recursive: true });
      }
    }
    for (const [file, recorded] of this.files) {
      const path = join(this.root, file);
      try {
        statSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, recorded.content);
        recorded.mtimeMs = statSync(path).mtimeMs;
      }
    }
  }
}

/** One file a generated job created or changed: its text before (null: new) and after. */
export interface GeneratedFile {
  path: string;
  before: string | null;
  after: string;
}

/** Reads `paths` before and after `generate` runs on `root`. */
export function captureGeneration(
  root: string,
  paths: readonly string[],
  generate: () => void,
): GeneratedFile[] {
  const read = (path: string): string | null => readIfPresent(join(root, path));
  const before = paths.map(read);
  generate();
  return paths.map((path, index) => {
    const after = read(path);
    if (after === null) throw new Error(`${path}: the kit did not write it`);
    return { path, before: before[index] ?? null, after };
  });
}

/** Four letters for `index` (0 → `aaaa`), so every synthetic name has the same length. */
export function letters(index: number): string {
  let text = '';
  let rest = index;
  for (let i = 0; i < 4; i += 1) {
    text = String.fromCharCode(97 + (rest % 26)) + text;
    rest = Math.floor(rest / 26);
  }
  return text;
}

/** The name of the `index`th synthetic job; the seed uses the last one, never handed out. */
export function syntheticName(index: number): string {
  return `Synth ${letters(index)}`;
}

export const SEED_NAME = syntheticName(26 ** 4 - 1);

const SPELLINGS = ['constant', 'pascal', 'camel', 'kebab', 'title'] as const;

/** Rewrites every spelling of the seed's name in `text` to the same spelling of `target`. */
function renamer(seed: JobNames): (text: string, target: JobNames) => string {
  const byText = new Map(SPELLINGS.map((spelling) => [seed[spelling], spelling]));
  const pattern = new RegExp(
    [...byText.keys()]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  return (text, target) =>
    text.replace(pattern, (found) => target[byText.get(found) ?? 'constant']);
}

/**
 * Adds `count` jobs to the host at `root` as if the kit had generated each of them:
 * `seed` is what the kit wrote for one job (named SEED_NAME) into this same host.
 * Every line the seed inserted into a shared file is repeated once per job, in
 * order, renamed; its own files are copied, renamed. The result is what `count`
 * generations would leave, without running the kit `count` times.
 */
export function synthesizeJobs(root: string, seed: readonly GeneratedFile[], count: number): void {
  const seedNames = jobNames(SEED_NAME);
  const rename = renamer(seedNames);
  const targets = Array.from({ length: count }, (_, index) => jobNames(syntheticName(index)));
  for (const file of seed) {
    if (file.before === null) {
      for (const target of targets) {
        const path = join(root, rename(file.path, target));
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, rename(file.after, target));
      }
      continue;
    }
    const parts = diffLines(file.before, file.after);
    if (parts.some((part) => part.removed)) {
      throw new Error(`${file.path}: the seed job changed existing lines; only insertions repeat`);
    }
    const text = parts
      .map((part) =>
        part.added ? targets.map((target) => rename(part.value, target)).join('') : part.value,
      )
      .join('');
    writeFileSync(join(root, file.path), text);
  }
}

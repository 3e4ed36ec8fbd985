import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { filesUnder } from '../host/affected.js';
import { saveCache } from './files.js';
import type { Project } from '../host/workspace.js';

/** How one package is type-checked: its own `typecheck` script, or its own tsc on its tsconfig. */
export type PackageCheck =
  | { kind: 'run'; file: string; args: string[]; shell: boolean; describe: string }
  | { kind: 'not checked'; reason: string };

export interface Manifest {
  scripts?: Record<string, string>;
  main?: string;
  types?: string;
  typings?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export function readManifest(root: string, dir: string): Manifest {
  return JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;
}

/** Declared dependencies with no folder in any node_modules from the package up to the root. */
export function missingDependencies(root: string, project: Project): string[] {
  const folders: string[] = [];
  for (let dir = join(root, project.dir); ; dir = dirname(dir)) {
    folders.push(join(dir, 'node_modules'));
    if (relative(root, dir) === '' || dirname(dir) === dir) break;
  }
  return project.dependencies.filter(
    (name) => !folders.some((folder) => existsSync(join(folder, name))),
  );
}

/** The TypeScript a package resolves itself: its own, or the nearest one above it. */
async function ownTypeScript(
  root: string,
  dir: string,
): Promise<{ version: string; run: { file: string; args: string[] } } | undefined> {
  let manifest: string;
  try {
    manifest = createRequire(join(root, dir, 'package.json')).resolve('typescript/package.json');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const tsDir = dirname(manifest);
  // TypeScript 7's compiler is a native binary: started directly, as its own launcher
  // would (getExePath), it saves a Node start per package; the checks run side by side,
  // so its own threads would only compete for the same cores.
  const locator = join(tsDir, 'lib', 'getExePath.js');
  if (Number.parseInt(version, 10) >= 7 && existsSync(locator)) {
    const { default: getExePath } = (await import(pathToFileURL(locator).href)) as {
      default: () => string;
    };
    try {
      return { version, run: { file: getExePath(), args: ['--singleThreaded'] } };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
    }
  }
  return { version, run: { file: process.execPath, args: [join(tsDir, 'bin', 'tsc')] } };
}

/** A `typecheck` script that is one plain `tsc` call: run as that tsc, without a shell. */
const PLAIN_TSC = /^tsc((?:\s+[\w./=-]+)*)\s*$/;

/**
 * How `project` is type-checked, or why it cannot be: a package whose dependencies
 * are not installed, or that resolves no TypeScript, is not checked (its check
 * could only fail for reasons that have nothing to do with the change).
 */
export async function packageCheck(root: string, project: Project): Promise<PackageCheck> {
  const missing = missingDependencies(root, project);
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
    return {
      kind: 'not checked',
      reason: `its dependencies are not installed (${shown}); install them to have it checked`,
    };
  }
  const script = readManifest(root, project.dir).scripts?.typecheck;
  const plain = script === undefined ? undefined : PLAIN_TSC.exec(script.trim());
  if (script !== undefined && !plain)
    return { kind: 'run', file: script, args: [], shell: true, describe: script };
  const ts = await ownTypeScript(root, project.dir);
  if (!ts) {
    return {
      kind: 'not checked',
      reason: 'it resolves no TypeScript; add typescript to its devDependencies',
    };
  }
  // Without a script, the tsconfig the package's build compiles with when it has one:
  // a full tsconfig that also includes files outside its rootDir (tests) stops tsc at
  // that option error (TS6059), before it type-checks anything.
  const config = existsSync(join(root, project.dir, 'tsconfig.build.json'))
    ? 'tsconfig.build.json'
    : '.';
  const args = plain
    ? (plain[1] ?? '').trim().split(/\s+/).filter(Boolean)
    : ['-p', config, '--noEmit'];
  // TypeScript 5 keeps what it learnt between runs in a build-info file, kept in the
  // kit's cache rather than the host's tree: a second check re-checks only what changed.
  const incremental =
    Number.parseInt(ts.version, 10) < 7 &&
    !args.some((arg) => /^(-b|--build|--incremental)$/.test(arg))
      ? [
          '--incremental',
          '--tsBuildInfoFile',
          join(
            root,
            'node_modules',
            '.cache',
            'jobkit',
            'tsbuildinfo',
            `${project.dir.replaceAll('/', '+')}.tsbuildinfo`,
          ),
        ]
      : [];
  return {
    kind: 'run',
    file: ts.run.file,
    args: [...ts.run.args, ...args, ...incremental, '--pretty', 'false'],
    shell: false,
    describe: `tsc ${args.join(' ')} (TypeScript ${ts.version})`,
  };
}

/**
 * The diagnostics in a compiler's output, each as a key without its line and column
 * (lines move when code is inserted above them) and the text to show. A failed run
 * that prints none counts as one diagnostic: its last line.
 */
export function parseDiagnostics(
  output: string,
  exitCode: number | undefined,
): { key: string; text: string }[] {
  const diagnostics: { key: string; text: string }[] = [];
  for (const line of output.split('\n')) {
    const located = /^(.+?)\(\d+,\d+\): error (TS\d+): (.*)$/.exec(line);
    const global = /^error (TS\d+): (.*)$/.exec(line);
    if (located)
      diagnostics.push({ key: `${located[1]}: ${located[2]}: ${located[3]}`, text: line });
    else if (global) diagnostics.push({ key: `${global[1]}: ${global[2]}`, text: line });
    else if (/^\s/.test(line) && diagnostics.length > 0 && line.trim() !== '')
      diagnostics[diagnostics.length - 1]!.text += `\n${line}`;
  }
  if (diagnostics.length === 0 && exitCode !== 0) {
    const last = output.trim().split('\n').pop() ?? `exit code ${String(exitCode)}`;
    diagnostics.push({ key: last, text: output.trim() || last });
  }
  return diagnostics;
}

/** The diagnostics of `after` that `before` does not have (as many times as it has them). */
export function newDiagnostics<T extends { key: string }>(
  after: readonly T[],
  before: readonly string[],
): T[] {
  const left = new Map<string, number>();
  for (const key of before) left.set(key, (left.get(key) ?? 0) + 1);
  return after.filter((diagnostic) => {
    const count = left.get(diagnostic.key) ?? 0;
    if (count > 0) left.set(diagnostic.key, count - 1);
    return count === 0;
  });
}

const NOT_INPUTS = new Set(['node_modules', '.git', '.turbo', '.next', 'coverage']);
/** The root's files every package's check reads. */
const ROOT_INPUTS = /^(?:package\.json|pnpm-lock\.yaml|tsconfig.*\.json)$/;

/**
 * A digest of everything a package's check reads that a run can change: its files
 * and those of the workspace packages it depends on (built output included), the
 * root's manifests, lockfile and tsconfigs, and the command. `override` gives the
 * text of files as they are in the tree being described (null: absent), where the
 * disk holds another version.
 */
export function checkInputsDigest(
  root: string,
  dirs: readonly string[],
  command: string,
  override: ReadonlyMap<string, string | null> = new Map(),
): string {
  const hash = createHash('sha1').update(`${command}\n`);
  const files = new Set([
    ...dirs.flatMap((dir) => filesUnder(root, dir, NOT_INPUTS)),
    ...readdirSync(root).filter((name) => ROOT_INPUTS.test(name)),
    ...[...override.keys()].filter((file) => dirs.some((dir) => file.startsWith(`${dir}/`))),
  ]);
  for (const file of [...files].sort()) {
    if (file.endsWith('.tsbuildinfo')) continue;
    const text = override.has(file)
      ? override.get(file)
      : existsSync(join(root, file))
        ? readFileSync(join(root, file), 'utf8')
        : null;
    if (text !== null && text !== undefined) hash.update(`${file}\0${text}\0`);
  }
  return hash.digest('hex');
}

/**
 * Diagnostics of earlier checks, by the digest of what they read: a package with
 * errors of its own is checked on the tree before a run once, not at every run (a
 * run's result is the next run's "before").
 */
export class DiagnosticsCache {
  private readonly path: string;
  private entries: Record<string, string[]> | undefined;

  constructor(root: string) {
    this.path = join(root, 'node_modules', '.cache', 'jobkit', 'diagnostics.json');
  }

  private load(): Record<string, string[]> {
    if (!this.entries) {
      try {
        this.entries = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string[]>;
      } catch {
        // Missing or unreadable: it is only a cache.
        this.entries = {};
      }
    }
    return this.entries;
  }

  get(digest: string): string[] | undefined {
    return this.load()[digest];
  }

  set(digest: string, keys: string[]): void {
    const entries = this.load();
    delete entries[digest];
    entries[digest] = keys;
    // The newest few dozen: the trees a host goes back and forth between.
    const kept = Object.entries(entries).slice(-40);
    this.entries = Object.fromEntries(kept);
  }

  save(): void {
    if (!this.entries) return;
    // A cache that cannot be written costs the next run a check, nothing more.
    saveCache(this.path, JSON.stringify(this.entries));
  }
}

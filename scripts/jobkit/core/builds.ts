import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from './package-check.js';

/** The entry a package's dependents compile against: its types, else its main module. */
function entryOf(manifest: Manifest): string | undefined {
  const exported = manifest.exports;
  const dot =
    typeof exported === 'string'
      ? exported
      : typeof exported === 'object' && exported !== null && '.' in exported
        ? (exported as Record<string, unknown>)['.']
        : undefined;
  const fromExports =
    typeof dot === 'string'
      ? dot
      : typeof dot === 'object' && dot !== null
        ? ['types', 'require', 'import', 'default']
            .map((condition) => (dot as Record<string, unknown>)[condition])
            .find((value): value is string => typeof value === 'string')
        : undefined;
  return fromExports ?? manifest.types ?? manifest.typings ?? manifest.main;
}

/**
 * The folder of a package's build output when its dependents read that output
 * (`main`/`types`/`exports` into `dist/…`) rather than its TypeScript sources;
 * undefined when they read the sources or the package has no build script.
 */
export function buildOutputDir(manifest: Manifest): string | undefined {
  const entry = entryOf(manifest);
  if (entry === undefined || manifest.scripts?.build === undefined) return undefined;
  if (/\.[cm]?tsx?$/.test(entry) && !/\.d\.[cm]?ts$/.test(entry)) return undefined;
  const folder = entry.replace(/^\.\//, '').split('/')[0];
  return folder && folder !== entry.replace(/^\.\//, '') ? folder : undefined;
}

/**
 * The build outputs a run rebuilds, with a copy of each as it was before: put back
 * when the run's files are, swapped in while the tree before the run is checked, and
 * dropped once the run is done. The copy is made beside the output (same file
 * system, so a rename puts it back), and the build starts from the output as it
 * was, so an incremental build (tsbuildinfo) stays incremental.
 */
export class BuiltOutputs {
  private readonly saved: { output: string; copy: string | undefined }[] = [];

  constructor(private readonly root: string) {}

  /** Keeps a copy of `dir`'s output folder `folder` before it is rebuilt. */
  save(dir: string, folder: string): void {
    const output = join(this.root, dir, folder);
    if (this.saved.some((entry) => entry.output === output)) return;
    if (!existsSync(output)) {
      this.saved.push({ output, copy: undefined });
      return;
    }
    const copy = join(this.root, dir, `.jobkit-${folder}-before-${process.pid}`);
    rmSync(copy, { recursive: true, force: true });
    cpSync(output, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    this.saved.push({ output, copy });
  }

  /** Every output back as it was before the run. */
  restore(): void {
    for (const { output, copy } of this.saved.splice(0)) {
      rmSync(output, { recursive: true, force: true });
      if (copy !== undefined) renameSync(copy, output);
    }
  }

  /** The run is kept: the copies go. */
  discard(): void {
    for (const { copy } of this.saved.splice(0)) {
      if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
    }
  }

  /** Runs `work` with the outputs as they were before the run, then puts the new ones back. */
  async withOutputsBefore<T>(work: () => Promise<T>): Promise<T> {
    const swap = (): void => {
      for (const { output, copy } of this.saved) {
        const aside = `${output}.jobkit-swap-${process.pid}`;
        if (existsSync(output)) renameSync(output, aside);
        if (copy !== undefined && existsSync(copy)) renameSync(copy, output);
        if (copy !== undefined && existsSync(aside)) renameSync(aside, copy);
        else if (copy === undefined && existsSync(aside)) {
          // No output before the run: the new one waits aside.
          renameSync(aside, `${output}.jobkit-new-${process.pid}`);
        } else if (copy === undefined && existsSync(`${output}.jobkit-new-${process.pid}`)) {
          renameSync(`${output}.jobkit-new-${process.pid}`, output);
        }
      }
    };
    swap();
    try {
      return await work();
    } finally {
      swap();
    }
  }
}

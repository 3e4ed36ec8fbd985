import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFiles, type CheckResult } from '../scripts/jobkit/core/format.js';
import type { FileChange } from '../scripts/jobkit/core/tree.js';
import { createTempHost, repoRoot } from './support/temp-host.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** The compiled kit the command-line entry points run (scripts/bin/kit.mjs). */
async function builtKit(): Promise<string> {
  const kit = (await import(join(repoRoot, 'scripts/bin/kit.mjs'))) as {
    ensureBuilt: () => string;
  };
  return kit.ensureBuilt();
}

describe('the compiled kit', () => {
  it('is a few bundles: the entries, their chunks and the thread, each one folder deep', async () => {
    const built = await builtKit();
    const scripts = filesUnder(built)
      .map((file) => relative(built, file))
      .filter((file) => file.endsWith('.js'));
    expect(scripts).toEqual(
      expect.arrayContaining([
        'cli/gen-job.js',
        'cli/jobs-doctor.js',
        'cli/write-schema.js',
        'plop/plopfile.js',
        'core/format-thread.js',
        'core/format.js',
        'templates.js',
      ]),
    );
    // Modules find the formatting thread, the templates and the V8 cache by paths
    // relative to their own file ('../core/format-thread.js'), which hold only there.
    const misplaced = scripts.filter(
      (file) => file !== 'templates.js' && file.split('/').length !== 2,
    );
    expect(misplaced).toEqual([]);
    // tsc's module-per-file output is bundled away, not left beside the bundles.
    expect(scripts).not.toContain('core/actions.js');
    // The entries, the commands they load on demand (generate, remove, recover, a
    // spec, the configuration) and the chunks esbuild shares between those: tens, not
    // the hundred-odd modules of the sources.
    expect(scripts.length).toBeLessThan(60);
  });
});

describe('the name of a build', () => {
  it('holds the files and their contents, not where the kit is or when its files were written', async () => {
    const copy = createTempHost();
    try {
      // Newer timestamps than the repository's, as a fresh clone or a copy has.
      const later = new Date(Date.now() + 60_000);
      for (const file of filesUnder(join(copy.root, 'scripts/jobkit')))
        utimesSync(file, later, later);
      const copied = (await import(join(copy.root, 'scripts/bin/kit.mjs'))) as {
        ensureBuilt: () => string;
      };
      // Both resolve to the same build, so the copy builds nothing.
      expect(basename(copied.ensureBuilt())).toBe(basename(await builtKit()));
    } finally {
      copy.remove();
    }
  });
});

describe('the formatting thread of the compiled kit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-thread-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `body` in a process of its own (the thread serves a main thread) with the compiled formatFiles. */
  async function inProcess(body: string): Promise<string> {
    const built = await builtKit();
    const script = join(dir, `run-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(
      script,
      `const { formatFiles, startFormatThread } = await import(${JSON.stringify(pathToFileURL(join(built, 'core/format.js')).href)});\n${body}`,
    );
    return execFileSync(process.execPath, [script], { encoding: 'utf8' });
  }

  it('formats as the sources do: the same files, the same checks', async () => {
    const inserted = '  register( "a",handler )\n';
    const before = 'function start() {\n  run()\n}\n';
    const at = before.indexOf('}');
    const change = {
      path: 'apps/worker/src/worker.ts',
      before,
      after: before.slice(0, at) + inserted + before.slice(at),
      regions: [{ start: at, end: at + inserted.length, context: 'block' }],
    };
    const created = { path: 'apps/worker/src/new.ts', before: null, after: 'export const a = "b"' };
    const output = await inProcess(
      `const checks = [];
      const changes = await formatFiles(${JSON.stringify(repoRoot)}, ${JSON.stringify([change, created])}, checks);
      process.stdout.write(JSON.stringify({ changes, checks: checks.map(({ durationMs, ...check }) => check) }));`,
    );
    const checks: CheckResult[] = [];
    const changes = await formatFiles(repoRoot, [change as FileChange, created], checks);
    expect(JSON.parse(output)).toEqual({
      changes,
      checks: checks.map(({ durationMs: _durationMs, ...check }) => check),
    });
    // Only the inserted line is formatted; the host's `run()` keeps its missing semicolon.
    expect(changes[0]?.after).toBe("function start() {\n  run()\n  register('a', handler);\n}\n");
  });

  it('ends with the process when the run formatted nothing while prettier was loading', async () => {
    // The thread is stopped once nothing is in flight on it: cut off while loading
    // prettier, it can abort the whole process on Node 20.
    expect(await inProcess("startFormatThread();\nprocess.stdout.write('done');")).toBe('done');
  });
});

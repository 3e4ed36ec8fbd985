import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/temp-host.js';

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
        'core/format-start.js',
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
    expect(scripts.length).toBeLessThan(45);
  });
});

describe('the formatting thread of the compiled kit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-thread-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finishes the work in flight when stopped, and only then ends', async () => {
    const built = await builtKit();
    // A process of its own (the thread starts only on a main thread): it asks for a
    // configuration lookup and a file's formatting, stops the thread at once, and
    // prints what came back before it was stopped. A thread cut off mid-way sends
    // nothing, and with a file operation in flight can abort the process on Node 20.
    const script = join(dir, 'close-thread.mjs');
    const file = join(repoRoot, 'apps/worker/src/closing.ts');
    writeFileSync(
      script,
      `
      const { takeFormatThread, stopFormatThread } = await import(${JSON.stringify(pathToFileURL(join(built, 'core/format-start.js')).href)});
      const thread = takeFormatThread();
      const replies = [];
      thread.worker.on('message', (reply) => replies.push(reply));
      thread.worker.postMessage({ prepare: [${JSON.stringify(file)}] });
      thread.worker.postMessage({
        id: 7,
        files: [{ kind: 'file', path: 'closing.ts', filepath: ${JSON.stringify(file)}, text: 'export const a = "b"' }],
        known: [],
      });
      await stopFormatThread(thread);
      process.stdout.write(JSON.stringify(replies.map((reply) => 'id' in reply ? { id: reply.id, outcomes: reply.outcomes.map(({ ok, after }) => ({ ok, after })) } : reply)));
      `,
    );
    const output = execFileSync(process.execPath, [script], { encoding: 'utf8' });
    // The formatting came back, then the thread said nothing was in flight any more.
    expect(JSON.parse(output)).toEqual([
      { id: 7, outcomes: [{ ok: true, after: "export const a = 'b';\n" }] },
      { closed: true },
    ]);
  });
});

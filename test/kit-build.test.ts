import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    expect(scripts.length).toBeLessThan(40);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { affectedByImports, importedSpecifiers } from './affected.js';
import { readWorkspace } from './workspace.js';

describe('importedSpecifiers', () => {
  it('finds import, export-from, dynamic import, require and bare imports', () => {
    const text = `import { a } from '@x/shared';\nexport * from "./queues";\nconst b = await import('./b.js');\nconst c = require('c');\nimport './side-effect';\nimport type {\n  T,\n} from '@x/shared/types';\n`;
    expect(importedSpecifiers(text)).toEqual([
      '@x/shared',
      './queues',
      './b.js',
      'c',
      './side-effect',
      '@x/shared/types',
    ]);
  });
});

describe('affectedByImports', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const manifest = (dir: string, name: string, dependencies: string[] = []) =>
    write(
      `${dir}/package.json`,
      JSON.stringify({
        name,
        dependencies: Object.fromEntries(
          dependencies.map((dependency) => [dependency, 'workspace:*']),
        ),
      }),
    );

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'jobkit-affected-'));
    write('pnpm-workspace.yaml', 'packages:\n  - apps/*\n  - packages/*\n');
    manifest('packages/shared', '@x/shared');
    write('packages/shared/src/queues.ts', 'export const Q = {};\n');
    manifest('packages/db', '@x/db', ['@x/shared']);
    write('packages/db/src/index.ts', "import type { T } from '@x/shared';\n");
    // Declares shared but never imports it.
    manifest('packages/ui', '@x/ui', ['@x/shared']);
    write('packages/ui/src/index.ts', "export const button = 'button';\n");
    // Imports shared only through db.
    manifest('apps/worker', '@x/worker', ['@x/db', '@x/shared']);
    write('apps/worker/src/worker.ts', "import { db } from '@x/db';\n");
    // Imports nothing of the workspace.
    manifest('apps/web', '@x/web', []);
    write('apps/web/src/page.ts', "import '@x/shared';\n");
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('is the package holding a changed file and those importing it, directly or through a workspace package', () => {
    const affected = affectedByImports(root, readWorkspace(root), [
      'packages/shared/src/queues.ts',
    ]);
    expect(affected.map((project) => project.dir).sort()).toEqual([
      'apps/worker',
      'packages/db',
      'packages/shared',
    ]);
  });
});

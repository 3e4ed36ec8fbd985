import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../../test/support/apply-edits.js';
import { AnchorError } from './errors.js';
import {
  afterLastImport,
  importLineEdit,
  namedImportsEdits,
  type ImportName,
  removeNamedImports,
} from './imports.js';

const SHARED = '@forgestack/shared';

/** The import edits, applied. */
const addNamedImports = (
  file: string,
  source: string,
  module: string,
  names: ImportName[],
): string => applyEdits(source, namedImportsEdits(file, source, module, names));
const insertImportLine = (source: string, line: string): string =>
  applyEdits(source, [importLineEdit(source, line)]);

describe('addNamedImports', () => {
  it('merges into the existing import, across lines, keeping what is there', () => {
    const source = `import {\n  QUEUE_NAMES,\n  type AJobData,\n} from '${SHARED}';\nconst x = 1;\n`;
    expect(
      addNamedImports('w.ts', source, SHARED, [
        { name: 'QUEUE_NAMES', typeOnly: false },
        { name: 'BJobData', typeOnly: true },
      ]),
    ).toBe(
      `import {\n  QUEUE_NAMES,\n  type AJobData,\n  type BJobData,\n} from '${SHARED}';\nconst x = 1;\n`,
    );
  });

  it('appends to an import laid out one name per line in its style, adding the comma it lacks', () => {
    const source = `import {\n    QUEUE_NAMES,\n    type AJobData\n} from "${SHARED}";\n`;
    expect(
      addNamedImports('w.ts', source, SHARED, [
        { name: 'BJobData', typeOnly: true },
        { name: 'handleB', typeOnly: false },
      ]),
    ).toBe(
      `import {\n    QUEUE_NAMES,\n    type AJobData,\n    type BJobData,\n    handleB\n} from "${SHARED}";\n`,
    );
  });

  it('rewrites a one-line import as a whole', () => {
    const source = `import { QUEUE_NAMES } from '${SHARED}';\n`;
    expect(addNamedImports('w.ts', source, SHARED, [{ name: 'AJobData', typeOnly: true }])).toBe(
      `import { QUEUE_NAMES, type AJobData } from '${SHARED}';\n`,
    );
  });

  it('leaves the file untouched when every name is imported', () => {
    const source = `import { QUEUE_NAMES } from '${SHARED}';\n`;
    expect(
      addNamedImports('w.ts', source, SHARED, [{ name: 'QUEUE_NAMES', typeOnly: false }]),
    ).toBe(source);
  });

  it('tells a name bound in the file from one that only appears in an alias or a longer name', () => {
    const source = `import { type Job as BullJob, QueueEvents, Worker as W } from 'bullmq';\n`;
    expect(
      addNamedImports('q.ts', source, 'bullmq', [
        { name: 'Job', typeOnly: true },
        { name: 'BullJob', typeOnly: true },
        { name: 'Queue', typeOnly: false },
        { name: 'W', typeOnly: false },
      ]),
    ).toBe(
      `import { type Job as BullJob, QueueEvents, Worker as W, type Job, Queue } from 'bullmq';\n`,
    );
  });

  it('adds a new import after the last one, all type-only when only types are used', () => {
    const source = "import { a } from './a';\nimport {\n  b,\n} from './b';\n\nconst x = 1;\n";
    expect(addNamedImports('w.ts', source, 'bullmq', [{ name: 'Job', typeOnly: true }])).toBe(
      "import { a } from './a';\nimport {\n  b,\n} from './b';\nimport type { Job } from 'bullmq';\n\nconst x = 1;\n",
    );
  });

  it('extends an `import type { … }` statement, marking value names', () => {
    const source = "import type { Job } from 'bullmq';\n";
    expect(addNamedImports('s.ts', source, 'bullmq', [{ name: 'Queue', typeOnly: false }])).toBe(
      "import { type Job, Queue } from 'bullmq';\n",
    );
  });

  it('refuses two value imports from one module, naming the lines', () => {
    const source = `import { A } from '${SHARED}';\nimport { B } from '${SHARED}';\n`;
    const add = () => addNamedImports('w.ts', source, SHARED, [{ name: 'C', typeOnly: false }]);
    expect(add).toThrow(AnchorError);
    expect(add).toThrow(`w.ts: 2 imports from '${SHARED}' (lines 1, 2)`);
  });

  it('does not take a module whose name merely starts the same', () => {
    const source = `import { A } from '${SHARED}-extra';\n`;
    expect(addNamedImports('w.ts', source, SHARED, [{ name: 'B', typeOnly: false }])).toBe(
      `import { A } from '${SHARED}-extra';\nimport { B } from '${SHARED}';\n`,
    );
  });
});

describe('insertImportLine and afterLastImport', () => {
  it('goes after the last import, or first in a file without one', () => {
    expect(afterLastImport('const x = 1;\n')).toBe(0);
    expect(insertImportLine('const x = 1;\n', "import { y } from './y';")).toBe(
      "import { y } from './y';\nconst x = 1;\n",
    );
    expect(insertImportLine("import a from 'a';\n\nrun();\n", "import b from 'b';")).toBe(
      "import a from 'a';\nimport b from 'b';\n\nrun();\n",
    );
  });
});

describe('removeNamedImports', () => {
  it('removes names, and the import when nothing is left', () => {
    const source = `import { QUEUE_NAMES, type AJobData } from '${SHARED}';\nimport { x } from './x';\n`;
    expect(removeNamedImports(source, SHARED, ['AJobData'])).toBe(
      `import { QUEUE_NAMES } from '${SHARED}';\nimport { x } from './x';\n`,
    );
    expect(removeNamedImports(source, SHARED, ['AJobData', 'QUEUE_NAMES'])).toBe(
      "import { x } from './x';\n",
    );
  });

  it('says so when a name is not imported from there', () => {
    expect(removeNamedImports(`import { A } from '${SHARED}';\n`, SHARED, ['B'])).toBeUndefined();
  });

  it('undoes addNamedImports', () => {
    const source = `import { QUEUE_NAMES, type AJobData } from '${SHARED}';\n`;
    const added = addNamedImports('w.ts', source, SHARED, [
      { name: 'B_JOB', typeOnly: false },
      { name: 'BJobData', typeOnly: true },
    ]);
    expect(removeNamedImports(added, SHARED, ['B_JOB', 'BJobData'])).toBe(source);
  });
});

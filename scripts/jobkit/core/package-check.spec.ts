import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOutputDir } from './builds.js';
import {
  checkInputsDigest,
  missingDependencies,
  newDiagnostics,
  parseDiagnostics,
} from './package-check.js';

const TSC_OUTPUT = `src/worker.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.
src/queue-labels.ts(3,14): error TS2741: Property 'partner-sync' is missing in type '{}'.
  The expected type comes from property 'x'.
error TS6059: File '/h/apps/api/test/setup.ts' is not under 'rootDir' '/h/apps/api/src'.
  The file is in the program because:
    Matched by include pattern 'test/**/*' in 'tsconfig.json'
`;

describe('parseDiagnostics', () => {
  it('keys each diagnostic without its line and column, keeping its continuation lines', () => {
    const diagnostics = parseDiagnostics(TSC_OUTPUT, 2);
    expect(diagnostics.map((diagnostic) => diagnostic.key)).toEqual([
      "src/worker.ts: TS2322: Type 'string' is not assignable to type 'number'.",
      "src/queue-labels.ts: TS2741: Property 'partner-sync' is missing in type '{}'.",
      "TS6059: File '/h/apps/api/test/setup.ts' is not under 'rootDir' '/h/apps/api/src'.",
    ]);
    expect(diagnostics[2]?.text).toMatch(/Matched by include pattern/);
  });

  it('counts a failed run that prints no diagnostic as one, and a clean run as none', () => {
    expect(parseDiagnostics('Segmentation fault\n', 139)).toHaveLength(1);
    expect(parseDiagnostics('', 0)).toEqual([]);
  });
});

describe('newDiagnostics', () => {
  it('is what the tree before did not have, as many times as it did not (lines moved or not)', () => {
    const after = parseDiagnostics(
      `${TSC_OUTPUT}src/worker.ts(40,5): error TS2322: Type 'string' is not assignable to type 'number'.\n`,
      2,
    );
    const before = parseDiagnostics(TSC_OUTPUT.replace('(12,5)', '(10,5)'), 2)
      .filter((diagnostic) => !diagnostic.key.includes('TS2741'))
      .map((diagnostic) => diagnostic.key);
    expect(newDiagnostics(after, before).map((diagnostic) => diagnostic.text)).toEqual([
      expect.stringMatching(/queue-labels\.ts\(3,14\): error TS2741/),
      expect.stringMatching(/worker\.ts\(40,5\)/),
    ]);
  });
});

describe('buildOutputDir', () => {
  it('is the folder dependents read when the package points them at built output', () => {
    const build = { build: 'tsc -p tsconfig.build.json' };
    expect(
      buildOutputDir({ main: './dist/index.js', types: './dist/index.d.ts', scripts: build }),
    ).toBe('dist');
    expect(
      buildOutputDir({
        exports: { '.': { types: './lib/index.d.ts', require: './lib/index.js' } },
        scripts: build,
      }),
    ).toBe('lib');
    expect(buildOutputDir({ main: 'src/index.ts', types: 'src/index.ts', scripts: build })).toBe(
      undefined,
    );
    expect(buildOutputDir({ main: './dist/index.js' })).toBe(undefined);
  });
});

describe('on disk', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('missingDependencies names declared packages no node_modules up to the root holds', () => {
    root = mkdtempSync(join(tmpdir(), 'jobkit-check-'));
    mkdirSync(join(root, 'node_modules/typescript'), { recursive: true });
    mkdirSync(join(root, 'apps/web/node_modules/@acme/ui'), { recursive: true });
    const project = {
      dir: 'apps/web',
      name: '@acme/web',
      dependencies: ['@acme/ui', 'typescript', 'next'],
      hasTsconfig: true,
      testRunner: undefined,
    };
    expect(missingDependencies(root, project)).toEqual(['next']);
  });

  it("checkInputsDigest describes the tree before a run from the run's own texts", () => {
    root = mkdtempSync(join(tmpdir(), 'jobkit-check-'));
    mkdirSync(join(root, 'pkg/src'), { recursive: true });
    writeFileSync(join(root, 'pkg/src/a.ts'), 'before');
    const before = checkInputsDigest(root, ['pkg'], 'tsc');
    writeFileSync(join(root, 'pkg/src/a.ts'), 'after');
    writeFileSync(join(root, 'pkg/src/new.ts'), 'new');
    const override = new Map<string, string | null>([
      ['pkg/src/a.ts', 'before'],
      ['pkg/src/new.ts', null],
    ]);
    expect(checkInputsDigest(root, ['pkg'], 'tsc', override)).toBe(before);
    expect(checkInputsDigest(root, ['pkg'], 'tsc')).not.toBe(before);
    expect(checkInputsDigest(root, ['pkg'], 'tsc --other', override)).not.toBe(before);
  });
});

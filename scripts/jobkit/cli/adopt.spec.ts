import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostPnpm, kitFiles, planAdoption } from './adopt.js';

const kitRoot = fileURLToPath(new URL('../../..', import.meta.url));

describe('planAdoption', () => {
  let host: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(host, path)), { recursive: true });
    writeFileSync(join(host, path), text);
  };
  beforeEach(() => {
    host = mkdtempSync(join(tmpdir(), 'jobkit-adopt-'));
  });
  afterEach(() => rmSync(host, { recursive: true, force: true }));

  it("copies the kit beside the host's own scripts and adds only what the host lacks", () => {
    write('scripts/init.ts', "// the host's own script\n");
    write(
      'package.json',
      `${JSON.stringify(
        {
          name: 'host',
          packageManager: 'pnpm@9.14.2',
          scripts: { build: 'turbo build' },
          devDependencies: { prettier: '^3.4.1', typescript: '^5.6.3', zod: '^4.1.0' },
        },
        null,
        2,
      )}\n`,
    );
    const plan = planAdoption(kitRoot, host);
    expect(plan.copied).toEqual(kitFiles(kitRoot));
    expect(plan.copied).not.toContain('scripts/init.ts');
    expect(plan.copied.some((file) => file.endsWith('.spec.ts'))).toBe(false);
    expect(plan.scripts).toEqual(['plop', 'gen:job', 'jobs:doctor']);
    expect(Object.keys(plan.dependencies).sort()).toEqual(
      ['@types/node', 'change-case', 'diff', 'esbuild', 'execa', 'handlebars', 'plop'].sort(),
    );
    const manifest = JSON.parse(plan.manifest ?? '{}') as {
      packageManager: string;
      devDependencies: Record<string, string>;
      type?: string;
    };
    // The host's pins stay; its sorted list stays sorted.
    expect(manifest.packageManager).toBe('pnpm@9.14.2');
    expect(manifest.type).toBe(undefined);
    expect(manifest.devDependencies).toMatchObject({
      prettier: '^3.4.1',
      typescript: '^5.6.3',
      zod: '^4.1.0',
    });
    const names = Object.keys(manifest.devDependencies);
    expect(names).toEqual([...names].sort());
    expect(plan.manifest?.endsWith('}\n')).toBe(true);
  });

  it('refuses, naming them, when a file or a package script of the host would be overwritten', () => {
    write('scripts/bin/kit.mjs', "// the host's own kit.mjs\n");
    write('package.json', JSON.stringify({ scripts: { plop: 'plop --plopfile other.js' } }));
    expect(() => planAdoption(kitRoot, host)).toThrow(
      /would overwrite scripts\/bin\/kit\.mjs, package\.json scripts\.plop; rename or remove them/,
    );
  });
});

describe('hostPnpm', () => {
  let host: string;
  afterEach(() => rmSync(host, { recursive: true, force: true }));

  it('is the pnpm the host pins, through npx, and the global one when it pins none', () => {
    host = mkdtempSync(join(tmpdir(), 'jobkit-adopt-'));
    writeFileSync(
      join(host, 'package.json'),
      JSON.stringify({ packageManager: 'pnpm@9.14.2+sha512.abc' }),
    );
    expect(hostPnpm(host)).toEqual({ file: 'npx', args: ['-y', 'pnpm@9.14.2'] });
    writeFileSync(join(host, 'package.json'), JSON.stringify({}));
    expect(hostPnpm(host)).toEqual({ file: 'pnpm', args: [] });
  });
});

import { diffLines } from 'diff';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { planJobs } from '../job/plan-job.js';
import { validateAnswers } from '../job/validate-answers.js';
import { loadLayout } from '../host/config.js';
import { formatFiles, type CheckResult } from './format.js';
import { createTemplateEngine } from './templates.js';
import { diskSource, VirtualTree, type FileChange, type FileSource } from './tree.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const acmeRoot = join(repoRoot, 'test/fixtures/acme-host');
const templates = createTemplateEngine(join(repoRoot, 'plop-templates'));

/**
 * The answers of test/answers/<file>, renamed: this repository may hold jobs of
 * those names already (someone generated the worked example), and the point here
 * is the code, not the name. The fixture hosts never change, so their answers keep
 * their names (a batch's triggers name its other jobs).
 */
function answers(file: string, rename = true): unknown {
  const input = JSON.parse(readFileSync(join(repoRoot, 'test/answers', file), 'utf8')) as
    { name: string } | { name: string }[];
  if (!rename) return input;
  const renamed = (job: { name: string }) => ({ ...job, name: `Format Check ${job.name}` });
  return Array.isArray(input) ? input.map(renamed) : renamed(input);
}

async function planAndFormat(root: string, input: unknown, source: FileSource = diskSource(root)) {
  const tree = new VirtualTree(source);
  const plan = planJobs(validateAnswers(input), tree, loadLayout(root, tree), templates);
  const checks: CheckResult[] = [];
  const changes = await formatFiles(root, plan.changes, checks);
  return { changes, checks };
}

async function formatWhole(root: string, change: FileChange): Promise<string> {
  const filepath = join(root, change.path);
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(change.after ?? '', { ...options, filepath, parser: 'babel-ts' });
}

const batch = [
  answers('audit-log-export.json'),
  answers('every-side-effect.json'),
  answers('minimal.json'),
];
const cases: [string, unknown, string][] = [
  ['the seed example', answers('audit-log-export.json'), repoRoot],
  ['every side effect', answers('every-side-effect.json'), repoRoot],
  ['a batch of three into the same files', batch, repoRoot],
  ['a batch into a host in another style', answers('acme-batch.json', false), acmeRoot],
];

/**
 * Only the kit's own code is formatted: new files whole, and in an existing file the
 * code inserted into it, in a wrapper that reproduces its place.
 */
// The first test waits for the formatting thread to load prettier, on a busy machine too.
describe('formatting what the kit wrote', { timeout: 60_000 }, () => {
  it.each(cases)(
    'in a formatted host, gives what formatting the whole files gives: %s',
    async (_name, input, root) => {
      const { changes, checks } = await planAndFormat(root, input);
      const modified = changes.filter((change) => change.before !== null);
      expect(modified.length).toBeGreaterThan(0);
      expect(
        checks.filter((check) => modified.some((change) => change.path === check.target)),
      ).toEqual(
        modified.map((change) =>
          expect.objectContaining({ target: change.path, scope: 'inserted code' }),
        ),
      );
      for (const change of changes) {
        expect(change.after, change.path).toBe(await formatWhole(root, change));
      }
    },
  );

  it.each(cases)(
    'in a host whose files are not formatted, changes only the lines it inserts, as in a formatted one: %s',
    async (_name, input, root) => {
      const clean = await planAndFormat(root, input);
      const disk = diskSource(root);
      const original = new Map<string, string>();
      // Each file the plan edits, as a person might have left it: double quotes,
      // missing semicolons, odd spacing and blank lines, a line far too long, and
      // code indented by four.
      const source: FileSource = {
        read(path) {
          const text = disk.read(path);
          if (
            text === null ||
            !clean.changes.some((change) => change.path === path && change.before !== null)
          )
            return text;
          const unformatted = [
            'const  untouchedTop  =  {a:1,b:"two"}',
            '',
            '',
            text
              .split('\n')
              // The kit adds its support modules' exports unless the very line is there.
              .map((line) => (line.startsWith('export * from') ? line : line.replace(/'/g, '"')))
              .join('\n')
              .replace(/;\n\n/g, '\n\n\n'),
            `export function  untouchedBottom( x:number ){ return [${'x, '.repeat(40)}x] }`,
            'export class UntouchedIndented {',
            '    method() {',
            '        return 1',
            '    }',
            '}',
            '',
          ].join('\n');
          original.set(path, unformatted);
          return unformatted;
        },
      };
      const messy = await planAndFormat(root, input, source);
      expect(original.size).toBeGreaterThan(0);
      for (const [path, before] of original) {
        const after = messy.changes.find((change) => change.path === path)?.after ?? '';
        const parts = diffLines(before, after);
        const lines = (removed: boolean) =>
          parts
            .filter((part) => (removed ? part.removed : part.added))
            .flatMap((part) => part.value.split('\n'));
        // An import statement may gain a name (on its line, or on a line of its own
        // after a comma added to the last); no other line of the file changes.
        const added = new Set(lines(false));
        expect(
          lines(true).filter(
            (line) => line !== '' && !line.startsWith('import ') && !added.has(`${line},`),
          ),
          path,
        ).toEqual([]);
        // The new lines are those the kit inserts into a formatted host, but for the
        // quotes of names added to the host's own import statements.
        const addedLines = (text: string, from: string) =>
          diffLines(from, text)
            .filter((part) => part.added)
            .flatMap((part) => part.value.split('\n'))
            .filter((line) => !line.startsWith('import '));
        const cleanChange = clean.changes.find((change) => change.path === path) as FileChange;
        expect(addedLines(after, before), path).toEqual(
          addedLines(cleanChange.after ?? '', cleanChange.before ?? ''),
        );
      }
      // New files are formatted whole, as anywhere.
      expect(
        messy.changes.filter((change) => change.before === null).map((change) => change.after),
      ).toEqual(
        clean.changes.filter((change) => change.before === null).map((change) => change.after),
      );
    },
  );

  it('keeps a file the plan rewrote as a whole (a removal) as planned', async () => {
    const checks: CheckResult[] = [];
    const change = {
      path: 'packages/shared/src/index.ts',
      before: 'a\n',
      after: "export  *  from './x'\n",
    };
    expect(await formatFiles(repoRoot, [change], checks)).toEqual([change]);
    expect(checks).toEqual([]);
  });

  it("parses TypeScript with Babel's parser unless prettier's configuration names one", async () => {
    const plain = mkdtempSync(join(tmpdir(), 'jobkit-parser-'));
    const configured = mkdtempSync(join(tmpdir(), 'jobkit-parser-'));
    writeFileSync(join(configured, '.prettierrc'), '{ "parser": "typescript" }\n');
    const broken = 'export const = ;\n';
    const attempt = (root: string) =>
      formatFiles(root, [{ path: 'broken.ts', before: null, after: broken }], []);
    try {
      await expect(attempt(plain)).rejects.toThrow(
        'broken.ts: generated code does not parse: Unexpected token (1:14)',
      );
      await expect(attempt(configured)).rejects.toThrow(
        'broken.ts: generated code does not parse: Variable declaration expected. (1:14)',
      );
    } finally {
      for (const root of [plain, configured]) rmSync(root, { recursive: true, force: true });
    }
  });

  it('fails the run, naming the thread, when a prettier plugin ends the formatting thread, and formats again after', async () => {
    const host = mkdtempSync(join(tmpdir(), 'jobkit-thread-'));
    try {
      // A plugin that ends the thread that loads it (process.exit in a thread ends the thread).
      writeFileSync(join(host, 'exit-plugin.mjs'), 'process.exit(7);\n');
      writeFileSync(join(host, '.prettierrc'), '{ "plugins": ["./exit-plugin.mjs"] }\n');
      const change = { path: 'a.ts', before: null, after: 'export const a = "b"\n' };
      await expect(formatFiles(host, [change], [])).rejects.toThrow(
        'the formatting thread stopped (exit code 7)',
      );
      const [formatted] = await formatFiles(repoRoot, [{ ...change, path: 'scripts/a.ts' }], []);
      expect(formatted?.after).toBe("export const a = 'b';\n");
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });
});

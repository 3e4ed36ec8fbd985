import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planJobs } from '../job/plan-job.js';
import { validateAnswers } from '../job/validate-answers.js';
import { loadLayout } from '../host/config.js';
import type { FormatOutcome } from './format-files.js';
import {
  formatChanges,
  FormatRun,
  type CheckResult,
  type CheckedStore,
  type Formatter,
} from './format.js';
import { createTemplateEngine } from './templates.js';
import { diskSource, VirtualTree } from './tree.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const templates = createTemplateEngine(join(repoRoot, 'plop-templates'));

function memoryStore(keys: string[] = []): CheckedStore & { keys: string[] } {
  const store = {
    keys,
    read: () => [...store.keys],
    write: (next: string[]) => {
      store.keys = next;
    },
  };
  return store;
}

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

async function format(root: string, input: unknown, store: CheckedStore) {
  const plan = planJobs(
    validateAnswers(input),
    new VirtualTree(diskSource(root)),
    loadLayout(root),
    templates,
  );
  const checks: CheckResult[] = [];
  const changes = await formatChanges(root, plan.changes, checks, { store });
  return { changes, checks };
}

/**
 * A file the kit has seen formatted gets only its insertions formatted. That is
 * an optimisation, so it must give byte for byte what formatting the whole file gives.
 */
describe('formatting only the inserted code', () => {
  const batch = [
    answers('audit-log-export.json'),
    answers('every-side-effect.json'),
    answers('minimal.json'),
  ];

  it.each([
    ['the seed example', answers('audit-log-export.json'), repoRoot],
    ['every side effect', answers('every-side-effect.json'), repoRoot],
    ['a batch of three into the same files', batch, repoRoot],
    [
      'a batch into a host in another style',
      answers('acme-batch.json', false),
      join(repoRoot, 'test/fixtures/acme-host'),
    ],
  ])('gives what formatting whole files gives: %s', async (_name, input, root) => {
    const first = memoryStore();
    const whole = await format(root, input, first);
    expect(new Set(whole.checks.map((check) => check.scope))).toEqual(new Set(['file']));

    const fast = await format(root, input, memoryStore(first.keys));
    const modified = fast.checks.filter((check) =>
      whole.changes.some((c) => c.path === check.target && c.before !== null),
    );
    expect(modified.length).toBeGreaterThan(0);
    expect(modified.every((check) => check.scope === 'inserted code')).toBe(true);
    expect(fast.changes.map((change) => [change.path, change.after])).toEqual(
      whole.changes.map((change) => [change.path, change.after]),
    );
  });

  it('formats the whole file when the file changed since it was last seen formatted', async () => {
    const first = memoryStore();
    await format(repoRoot, answers('minimal.json'), first);
    // Keys of other texts only: the host's files are unknown.
    const { checks } = await format(
      repoRoot,
      answers('minimal.json'),
      memoryStore(['0'.repeat(40)]),
    );
    expect(checks.every((check) => check.scope === 'file')).toBe(true);
  });
});

describe('files sent ahead of the plan (FormatRun)', () => {
  /** A formatter that records each request and "formats" by upper-casing. */
  function recordingFormatter() {
    const requests: string[][] = [];
    const formatter: Formatter = {
      format: ({ files }) => {
        requests.push(files.map((file) => `${file.path}:${file.kind === 'file' ? file.text : ''}`));
        return Promise.resolve(
          files.map((file): FormatOutcome => ({
            path: file.path,
            durationMs: 0,
            ok: true,
            optionsId: 'test',
            kind: 'file',
            after: file.kind === 'file' ? file.text.toUpperCase() : '',
            beforeFormatted: false,
          })),
        );
      },
      prepare: () => undefined,
      close: () => Promise.resolve(),
    };
    return { formatter, requests };
  }

  it('takes what came back for a file still as sent, and formats again one that changed since', async () => {
    const { formatter, requests } = recordingFormatter();
    const run = new FormatRun(repoRoot, formatter);
    run.ahead('kept.ts', 'kept');
    run.ahead('rewritten.ts', 'first');
    const changes = await formatChanges(
      repoRoot,
      [
        { path: 'kept.ts', before: null, after: 'kept' },
        { path: 'rewritten.ts', before: null, after: 'second' },
      ],
      [],
      { store: memoryStore(), run },
    );
    expect(requests).toEqual([['kept.ts:kept'], ['rewritten.ts:first'], ['rewritten.ts:second']]);
    expect(changes.map((change) => change.after)).toEqual(['KEPT', 'SECOND']);
  });

  it('reports a file sent ahead that does not parse, like any other', async () => {
    const root = repoRoot;
    const run = new FormatRun(root);
    const broken = 'export const = ;\n';
    run.ahead('scripts/broken-ahead.ts', broken);
    await expect(
      formatChanges(root, [{ path: 'scripts/broken-ahead.ts', before: null, after: broken }], [], {
        store: memoryStore(),
        run,
      }),
    ).rejects.toThrow(/scripts\/broken-ahead\.ts: generated code does not parse/);
  });

  it("parses TypeScript with Babel's parser unless prettier's configuration names one", async () => {
    const plain = mkdtempSync(join(tmpdir(), 'jobkit-parser-'));
    const configured = mkdtempSync(join(tmpdir(), 'jobkit-parser-'));
    writeFileSync(join(configured, '.prettierrc'), '{ "parser": "typescript" }\n');
    const broken = 'export const = ;\n';
    const attempt = (root: string) =>
      formatChanges(root, [{ path: 'broken.ts', before: null, after: broken }], [], {
        store: memoryStore(),
      });
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
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { planJobs } from '../job/plan-job.js';
import { validateAnswers } from '../job/validate-answers.js';
import { loadLayout } from '../host/config.js';
import { formatChanges, type CheckResult, type CheckedStore } from './format.js';
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
  const changes = await formatChanges(root, plan.changes, checks, store);
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

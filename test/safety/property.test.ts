import fc from 'fast-check';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualTree } from '../../scripts/jobkit/core/tree.js';
import { memorySource } from '../support/memory-source.js';
import { DEFAULT_LAYOUT, jobFiles } from '../../scripts/jobkit/host/layout.js';
import { readContractFields, readQueueEntries } from '../../scripts/jobkit/host/read-host.js';
import { jobNames } from '../../scripts/jobkit/job/names.js';
import {
  hostQueues,
  sameJob,
  validAnswers,
  type AnswersInput,
  type HostQueues,
} from '../support/arbitraries.js';
import { PlanPool } from '../support/plan-pool.js';
import type { PlanResult, PlannedFile } from '../support/plan-worker.js';
import { expectedTexts } from '../support/free-text.js';
import { holds } from '../support/read-back.js';
import { generateWithJson } from '../support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * Random valid answers, with free text full of comment terminators, template syntax,
 * quotes, replacement patterns, line breaks and emoji. In memory, every plan must be
 * accepted, parse and format, hold each text verbatim in its comments and strings,
 * and (one plan in four) pass `prettier --check` as the host runs it, with
 * TypeScript's parser; a sample is then written to one host, type-checked and its
 * generated tests run.
 */

/** Answer sets handed to the worker pool at once: enough to keep every core busy. */
const CHUNK = 80;
/**
 * 160 in `pnpm test`, which keeps within its time; the full-size run is `pnpm test:long`
 * (2 000, also in CI). JOBKIT_PROPERTY_CASES asks for another number (rounded up to
 * whole chunks).
 */
const CASES =
  Math.ceil(Math.max(CHUNK, Number(process.env.JOBKIT_PROPERTY_CASES ?? 0) || 160) / CHUNK) * CHUNK;
const SAMPLE = 20;
/**
 * How long the in-memory part may take before it counts as hung: it grows with the
 * number of cases (about 25 ms each on a quiet 2-core machine), with room for a
 * machine ten times slower.
 */
const PLAN_TIMEOUT_MS = 120_000 + CASES * 250;

/** The host's sources, read once: every plan starts from this same snapshot. */
function snapshot(
  root: string,
  dir: string,
  files: Record<string, string> = {},
): Record<string, string> {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') snapshot(root, path, files);
    } else if (entry.name.endsWith('.ts')) {
      files[path] = readFileSync(join(root, path), 'utf8');
    }
  }
  return files;
}

function readHost(files: Record<string, string>): HostQueues {
  const tree = new VirtualTree(memorySource(files));
  const contracts = Object.fromEntries(
    readQueueEntries(tree, DEFAULT_LAYOUT).map((queue) => [
      queue.key,
      readContractFields(tree, jobFiles(DEFAULT_LAYOUT, jobNames(queue.key)).contract, queue.key) ??
        [],
    ]),
  );
  return hostQueues(contracts);
}

/** Why a plan result is wrong for `batch`, or undefined when it is right. */
function problemWith(batch: AnswersInput[], result: PlanResult): string | undefined {
  if (result.status === 'rejected')
    return `valid answers were refused: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  if (result.status === 'failed') return `the plan failed: ${result.error}`;
  const created = result.files.filter((file) => file.created).length;
  if (result.files.length !== 3 * batch.length + 4 || created !== 3 * batch.length)
    return `expected ${3 * batch.length} created and 4 modified files, got ${result.files.map((f) => f.path).join(', ')}`;
  const byPath = new Map<string, PlannedFile>(result.files.map((file) => [file.path, file]));
  const unstable = result.files.find((file) => file.stableUnderTypescriptParser === false);
  if (unstable)
    return `${unstable.path}: prettier --check (typescript parser) would reformat the kit's output`;
  for (const { file, text, in: form } of batch.flatMap(expectedTexts)) {
    const planned = byPath.get(file);
    if (!planned || !holds(planned, text, form))
      return `${file}: the ${form}s do not hold ${JSON.stringify(text)} verbatim`;
  }
  return undefined;
}

/**
 * How the answer sets of a chunk are grouped into plans: most plans are batches, as an
 * answers file may be, which also spreads the cost of formatting the four shared host
 * files; single-job plans keep the common case covered.
 */
const GROUPS = [1, 4, 7, 8] as const;

function groups<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let at = 0, i = 0; at < items.length; i += 1) {
    const size = GROUPS[i % GROUPS.length] ?? 1;
    result.push(items.slice(at, at + size));
    at += size;
  }
  return result;
}

describe('property: random valid answers', () => {
  let pool: PlanPool;
  let temp: TempHost;
  let host: HostQueues;
  const accepted: AnswersInput[] = [];

  beforeAll(() => {
    // One host for both parts: planned in memory from its files, then written to.
    temp = createTempHost();
    const files = { ...snapshot(temp.root, 'packages'), ...snapshot(temp.root, 'apps') };
    host = readHost(files);
    pool = new PlanPool({ root: temp.root, kitRoot: repoRoot, files });
  });
  afterAll(async () => {
    await pool.close();
    temp.remove();
  });

  it(
    `plans, parses, formats and keeps every text verbatim (${CASES} answer sets in memory)`,
    {
      timeout: PLAN_TIMEOUT_MS,
    },
    async () => {
      const started = performance.now();
      let planned = 0;
      let plans = 0;
      let checkedWithTypescriptParser = 0;
      await fc.assert(
        fc.asyncProperty(
          // Names differ within a chunk, so any group of it is a valid batch.
          fc.uniqueArray(validAnswers(host), {
            minLength: CHUNK,
            maxLength: CHUNK,
            comparator: (a, b) => sameJob(jobNames(a.name), jobNames(b.name)),
          }),
          async (chunk) => {
            // Largest first, so the threads finish together at the end of the chunk.
            const batches = groups(chunk).sort((a, b) => b.length - a.length);
            const results = await Promise.all(
              batches.map((batch) =>
                pool.plan(batch.length === 1 ? batch[0] : batch, [
                  ...new Set(batch.flatMap(expectedTexts).map((text) => text.file)),
                ]),
              ),
            );
            plans += batches.length;
            results.forEach((result, index) => {
              const batch = batches[index] ?? [];
              const problem = problemWith(batch, result);
              if (problem) throw new Error(`${problem}\nanswers: ${JSON.stringify(batch)}`);
              planned += batch.length;
              accepted.push(...batch);
              if (result.status === 'planned') {
                checkedWithTypescriptParser += result.files.filter(
                  (file) => file.stableUnderTypescriptParser !== undefined,
                ).length;
              }
            });
          },
        ),
        // Each failure names its answers; shrinking a whole chunk would take minutes.
        { numRuns: CASES / CHUNK, endOnFailure: true },
      );
      expect(planned).toBe(CASES);
      // One plan in four (see plan-worker.ts): the check did run, on hundreds of files.
      expect(checkedWithTypescriptParser).toBeGreaterThan(CASES / 10);
      console.info(
        `property: ${planned} answer sets in ${plans} plans, in memory, in ${((performance.now() - started) / 1000).toFixed(1)}s`,
      );
    },
  );

  it(`writes a sample of ${SAMPLE} as one batch that type-checks and passes its tests`, async () => {
    const started = performance.now();
    const sample: AnswersInput[] = [];
    const step = Math.max(1, Math.floor(accepted.length / (SAMPLE * 4)));
    for (let i = 0; i < accepted.length && sample.length < SAMPLE; i += step) {
      const candidate = accepted[i] as AnswersInput;
      const names = jobNames(candidate.name);
      if (!sample.some((other) => sameJob(jobNames(other.name), names))) sample.push(candidate);
    }
    expect(sample).toHaveLength(SAMPLE);

    // Kept when the batch fails, to reproduce it with gen:job --answers.
    const answersDir = mkdtempSync(join(tmpdir(), 'jobkit-answers-'));
    const file = join(answersDir, 'sample.json');
    writeFileSync(file, JSON.stringify(sample, null, 2));
    const report = await generateWithJson(temp.root, sample);
    const failure = report.errors.map((error) => error.message).join('\n');
    expect(failure, `batch failed; its answers are in ${file}`).toBe('');
    expect(report.exitCode).toBe(0);
    expect(report.files.created).toHaveLength(SAMPLE * 3);
    const checks = report.checks.filter((check) => check.check !== 'parse+format');
    expect(checks.map(({ check, target, ok }) => ({ check, target, ok }))).toEqual(
      expect.arrayContaining([
        { check: 'typecheck', target: 'packages/shared', ok: true },
        { check: 'typecheck', target: 'apps/worker', ok: true },
        { check: 'typecheck', target: 'apps/api', ok: true },
        { check: 'test', target: 'apps/worker (vitest)', ok: true },
      ]),
    );
    rmSync(answersDir, { recursive: true, force: true });
    console.info(
      `property: batch of ${SAMPLE} written and verified in ${((performance.now() - started) / 1000).toFixed(1)}s`,
    );
  });
});

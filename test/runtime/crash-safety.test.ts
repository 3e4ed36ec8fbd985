import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createQueueService,
  createRuntimeHost,
  loadRuntimeModules,
  type RuntimeHost,
  type RuntimeModules,
} from '../support/runtime-host.js';
import type { LedgerPostingData } from '../support/runtime-jobs.js';
import {
  QueueHarness,
  createTable,
  openDatabase,
  uniqueName,
  useTeardown,
  waitFor,
} from '../support/runtime-services.js';
import { startWorkerProcess } from '../support/worker-process.js';

/**
 * At-least-once delivery of a generated job across a worker crash: two worker
 * processes share one queue, one is killed with SIGKILL while it runs jobs, and
 * BullMQ's stalled-job check hands its jobs to the survivor.
 */
let runtime: RuntimeHost | undefined;
let modules: RuntimeModules;

beforeAll(async () => {
  runtime = await createRuntimeHost();
  modules = await loadRuntimeModules(runtime);
});
afterAll(() => runtime?.host.remove());

const JOBS = 200;

describe('crash safety', () => {
  it(`completes all ${JOBS} jobs when one of two worker processes is killed mid-run`, async ({
    annotate,
  }) => {
    const hostRoot = runtime?.host.root ?? '';
    const teardown = useTeardown();
    const prefix = uniqueName('crash');
    const queues = new QueueHarness(prefix, teardown);
    const database = openDatabase(teardown);
    const effects = await createTable(database, teardown, 'effects', 'entry_id uuid PRIMARY KEY');
    const executions = await createTable(
      database,
      teardown,
      'executions',
      'id bigserial PRIMARY KEY, entry_id uuid NOT NULL, worker text NOT NULL',
    );
    const { LEDGER_POSTING_JOB } = modules.shared;
    const queue = queues.queue<LedgerPostingData>(LEDGER_POSTING_JOB.queue);
    const events = await queues.queueEvents(LEDGER_POSTING_JOB.queue);
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));

    const env = { BULLMQ_PREFIX: prefix, EFFECTS_TABLE: effects, EXECUTIONS_TABLE: executions };
    // The victim completes a few jobs, then holds every job it takes: killed once it
    // holds as many as it runs at once, it dies with jobs active on any machine.
    const victim = startWorkerProcess(teardown, hostRoot, {
      ...env,
      WORKER_LABEL: 'victim',
      HOLD_AFTER: '4',
    });
    const survivor = startWorkerProcess(teardown, hostRoot, { ...env, WORKER_LABEL: 'survivor' });
    await Promise.all([victim.ready, survivor.ready]);

    const service = createQueueService(modules, teardown, prefix);
    const entries = Array.from({ length: JOBS }, (_, index) => ({
      entryId: randomUUID(),
      amount: index,
    }));
    await Promise.all(entries.map((entry) => service.enqueueLedgerPosting(entry)));

    const executionCount = async (): Promise<number> =>
      Number(
        (await database.query<{ count: string }>(`SELECT count(*) FROM ${executions}`)).rows[0]
          ?.count,
      );
    await victim.printed('holding');
    victim.child.kill('SIGKILL');
    const killedAt = await executionCount();
    expect(await victim.exited).toEqual({ code: null, signal: 'SIGKILL' });

    await waitFor(
      `${JOBS} completed jobs`,
      async () => {
        const { completed = 0, failed = 0 } = await queue.getJobCounts('completed', 'failed');
        if (failed > 0) throw new Error(`${failed} jobs failed:\n${survivor.stderr()}`);
        return completed === JOBS;
      },
      { intervalMs: 100 },
    );

    expect(await queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed')).toEqual(
      {
        completed: JOBS,
        failed: 0,
        active: 0,
        waiting: 0,
        delayed: 0,
      },
    );
    const { rows: effectRows } = await database.query<{ entry_id: string }>(
      `SELECT entry_id FROM ${effects}`,
    );
    expect(new Set(effectRows.map((row) => row.entry_id))).toEqual(
      new Set(entries.map((entry) => entry.entryId)),
    );
    const { rows: perWorker } = await database.query<{ worker: string; runs: number }>(
      `SELECT worker, count(*)::int AS runs FROM ${executions} GROUP BY worker ORDER BY worker`,
    );
    const { rows: repeated } = await database.query<{ entry_id: string; runs: number }>(
      `SELECT entry_id, count(*)::int AS runs FROM ${executions}
       GROUP BY entry_id HAVING count(*) > 1`,
    );
    // Both processes ran jobs, and the victim's jobs in flight came back as stalled.
    expect(perWorker.map((row) => row.worker)).toEqual(['survivor', 'victim']);
    expect(stalled.length).toBeGreaterThanOrEqual(4);
    const summary =
      `${JOBS} jobs, victim killed after ${killedAt} executions; ` +
      `executions per worker: ${perWorker.map((row) => `${row.worker} ${row.runs}`).join(', ')}; ` +
      `stalled and redelivered: ${stalled.length}; ` +
      `executed more than once (at-least-once): ${repeated.length}`;
    await annotate(summary);
    console.info(`crash safety: ${summary}`);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHostPool,
  createQueueService,
  createRuntimeHost,
  loadRuntimeModules,
  type RuntimeHost,
  type RuntimeModules,
} from '../support/runtime-host.js';
import type {
  LedgerPostingData,
  LedgerPostingResult,
  LedgerPostingStep,
  LedgerPostingHandlerModule,
} from '../support/runtime-jobs.js';
import {
  captureLogger,
  createTable,
  HANG_MS,
  openDatabase,
  QueueHarness,
  uniqueName,
  useTeardown,
} from '../support/runtime-services.js';

/**
 * The generated database side effect on the machine's PostgreSQL: `updateDatabase`
 * runs inside the transaction the default `withServiceContext` of the host's
 * @forgestack/db opens, so its writes commit with the job or not at all.
 */
let runtime: RuntimeHost | undefined;
let modules: RuntimeModules;
let ledgerHandler: LedgerPostingHandlerModule;

beforeAll(async () => {
  runtime = await createRuntimeHost();
  modules = await loadRuntimeModules(runtime);
  ledgerHandler = await runtime.load<LedgerPostingHandlerModule>(
    'apps/worker/src/handlers/ledger-posting.handler.ts',
    ['createLedgerPostingHandler', 'ledgerPostingServices'],
  );
});
afterAll(() => runtime?.host.remove());

/** Starts a worker whose `updateDatabase` is `step(table)`, on a table of its own. */
async function startLedger(label: string, step: (table: string) => LedgerPostingStep) {
  const teardown = useTeardown();
  const database = openDatabase(teardown);
  const table = await createTable(
    database,
    teardown,
    label,
    'entry_id uuid PRIMARY KEY, amount integer NOT NULL, service_context text',
  );
  const prefix = uniqueName(label);
  const queues = new QueueHarness(prefix, teardown);
  const { LEDGER_POSTING_JOB } = modules.shared;
  const events = await queues.queueEvents(LEDGER_POSTING_JOB.queue);
  const pool = createHostPool(modules, teardown, { prefix });
  pool.createWorker<LedgerPostingData, LedgerPostingResult>(
    LEDGER_POSTING_JOB.queue,
    ledgerHandler.createLedgerPostingHandler({
      logger: captureLogger().logger,
      steps: { updateDatabase: step(table) },
    }),
  );
  const service = createQueueService(modules, teardown, prefix);
  const rows = async (): Promise<{ entry_id: string; amount: number; service_context: string }[]> =>
    (await database.query(`SELECT entry_id, amount, service_context FROM ${table}`)).rows;
  return { table, events, queues, service, rows, LEDGER_POSTING_JOB };
}

describe('database side effect', () => {
  it('runs updateDatabase through the host’s own @forgestack/db', () => {
    // The handler was generated into the temporary host; its workspace import must
    // resolve to that host's packages/db, the module this suite closes after each test.
    expect(ledgerHandler.ledgerPostingServices.withServiceContext).toBe(
      modules.db.withServiceContext,
    );
  });

  it('commits the row updateDatabase inserts through tx', async () => {
    const ledger = await startLedger('ledger_commit', (table) => async (tx, data) => {
      await tx.query(
        `INSERT INTO ${table} (entry_id, amount, service_context)
         VALUES ($1, $2, current_setting('app.service_context', true))`,
        [data.entryId, data.amount],
      );
      return null;
    });
    const data: LedgerPostingData = { entryId: randomUUID(), amount: 1250 };
    const job = await ledger.service.enqueueLedgerPosting(data);
    await job.waitUntilFinished(ledger.events, HANG_MS);

    expect(await ledger.rows()).toEqual([
      { entry_id: data.entryId, amount: 1250, service_context: 'jobs:ledger-posting' },
    ]);
  });

  it('rolls back the row of an updateDatabase that inserts and then throws', async () => {
    const seenInside: number[] = [];
    const ledger = await startLedger('ledger_rollback', (table) => async (tx, data) => {
      await tx.query(`INSERT INTO ${table} (entry_id, amount) VALUES ($1, $2)`, [
        data.entryId,
        data.amount,
      ]);
      // Inside the transaction the row is there...
      const { rows } = await tx.query<{ count: string }>(`SELECT count(*) FROM ${table}`);
      seenInside.push(Number(rows[0]?.count));
      throw new Error('ledger is closed for the period');
    });
    const job = await ledger.service.enqueueLedgerPosting({ entryId: randomUUID(), amount: 99 });
    await expect(job.waitUntilFinished(ledger.events, HANG_MS)).rejects.toThrow(
      'ledger is closed for the period',
    );

    // ...on every attempt, and after them nothing is left.
    const attempts = ledger.LEDGER_POSTING_JOB.options.attempts;
    expect(seenInside).toEqual(Array.from({ length: attempts }, () => 1));
    expect(await ledger.rows()).toEqual([]);
    const stored = await ledger.queues.queue(ledger.LEDGER_POSTING_JOB.queue).getJob(job.id ?? '');
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(attempts);
  });
});

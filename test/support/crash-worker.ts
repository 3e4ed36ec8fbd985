/**
 * One worker process of the crash-safety test, started as
 * `node --import tsx test/support/crash-worker.ts` with the host as working folder.
 * It runs the generated LEDGER_POSTING handler of the host through the host's own
 * worker pool, with locks short enough that a killed process's jobs are picked up
 * again within about a second. Its database step is idempotent by entry and also
 * logs every execution, so the test can count repeats.
 *
 * Environment: HOST_ROOT, BULLMQ_PREFIX, EFFECTS_TABLE, EXECUTIONS_TABLE,
 * WORKER_LABEL, and HOLD_AFTER (optional): once that many jobs have started, every
 * later job is held until the process dies, and "holding" is printed when the
 * process holds as many jobs as it runs at once. The test kills it then, so the
 * kill lands while jobs are active however fast the machine is.
 * REDIS_URL and DATABASE_URL as for the worker itself.
 * Prints "ready" once every worker is connected.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { importHostModule } from './host-modules.js';
import type {
  DbModule,
  LedgerPostingData,
  LedgerPostingHandlerModule,
  SharedModule,
  LedgerPostingResult,
  WorkerPoolModule,
} from './runtime-jobs.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const root = required('HOST_ROOT');
const prefix = required('BULLMQ_PREFIX');
const effects = required('EFFECTS_TABLE');
const executions = required('EXECUTIONS_TABLE');
const label = required('WORKER_LABEL');
const holdAfter = process.env.HOLD_AFTER ? Number(process.env.HOLD_AFTER) : Infinity;
const CONCURRENCY = 4;

const [shared, workerPool, db, ledger] = await Promise.all([
  importHostModule<SharedModule>(root, 'packages/shared/src/index.ts', ['LEDGER_POSTING_JOB']),
  importHostModule<WorkerPoolModule>(root, 'apps/worker/src/runtime/worker-pool.ts', [
    'createWorkerPool',
  ]),
  importHostModule<DbModule>(root, 'packages/db/src/index.ts', ['closeDatabase']),
  importHostModule<LedgerPostingHandlerModule>(
    root,
    'apps/worker/src/handlers/ledger-posting.handler.ts',
    ['createLedgerPostingHandler'],
  ),
]);

const pool = workerPool.createWorkerPool({
  prefix,
  concurrency: CONCURRENCY,
  // A lock lost for a second means a dead worker; the defaults (30 s) would make
  // the test wait half a minute for the stalled jobs.
  workerOptions: { lockDuration: 1000, stalledInterval: 500 },
});

let started = 0;
let held = 0;
/** Never settles: the job stays active until the process is killed. */
function hold(): Promise<never> {
  held += 1;
  if (held === CONCURRENCY) process.stdout.write('holding\n');
  return new Promise<never>(() => undefined);
}

const worker = pool.createWorker<LedgerPostingData, LedgerPostingResult>(
  shared.LEDGER_POSTING_JOB.queue,
  ledger.createLedgerPostingHandler({
    steps: {
      updateDatabase: async (tx, data, signal) => {
        started += 1;
        if (started > holdAfter) return hold();
        await delay(20, undefined, { signal });
        await tx.query(
          `INSERT INTO ${effects} (entry_id) VALUES ($1) ON CONFLICT (entry_id) DO NOTHING`,
          [data.entryId],
        );
        await tx.query(`INSERT INTO ${executions} (entry_id, worker) VALUES ($1, $2)`, [
          data.entryId,
          label,
        ]);
        return null;
      },
    },
  }),
);
// The test fails on any failed job; this says why.
worker.on('failed', (job, error) => {
  process.stderr.write(`${label}: job ${job?.id ?? '?'} failed: ${error.message}\n`);
});

await Promise.all(pool.workers.map((each) => each.waitUntilReady()));
process.stdout.write('ready\n');

process.once('SIGTERM', () => {
  pool
    .close()
    .then(() => db.closeDatabase())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${label}: did not stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
});

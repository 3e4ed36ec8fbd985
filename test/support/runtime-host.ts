import { importHostModule } from './host-modules.js';
import { generateWithJson } from './run-kit.js';
import {
  RUNTIME_JOB_ANSWERS,
  type DbModule,
  type JobTimeoutModule,
  type ProducerModule,
  type QueueServiceInstance,
  type QueueServiceModule,
  type SharedModule,
  type WebhookClientModule,
  type WorkerModule,
  type WorkerPool,
  type WorkerPoolModule,
  type WorkerPoolOptions,
} from './runtime-jobs.js';
import { REDIS, REDIS_URL, type Teardown } from './runtime-services.js';
import { createTempHost, type TempHost } from './temp-host.js';

// Pino reads the level when a module creates its logger, so this must hold before
// the first host module is imported. `LOG_LEVEL=info npx vitest …` shows the logs.
process.env.LOG_LEVEL ??= 'silent';

/** A temporary host holding the runtime suite's jobs, written by the kit itself. */
export interface RuntimeHost {
  host: TempHost;
  /** Imports a TypeScript module of the host, checking that it exports `names`. */
  load<T extends object>(path: string, names: readonly (keyof T & string)[]): Promise<T>;
}

/**
 * Steps the suite writes into the generated handlers, as a team would, so the jobs
 * it runs through their own registrations can complete: each replaces the step's
 * `notWritten` placeholder.
 */
const WRITTEN_STEPS = [
  {
    handler: 'apps/worker/src/handlers/usage-report.handler.ts',
    step: 'composeEmail',
    code: `async (data) => ({ to: data.userEmail, subject: 'Your usage report', text: 'It is attached.' })`,
  },
];

function writeSteps(host: TempHost): void {
  for (const { handler, step, code } of WRITTEN_STEPS) {
    const source = host.read(handler);
    const placeholder = `${step}: notWritten('${step}'),`;
    if (source.split(placeholder).length !== 2) {
      throw new Error(`${handler}: expected the placeholder "${placeholder}" once`);
    }
    host.write(handler, source.replace(placeholder, `${step}: ${code},`));
  }
}

/**
 * Copies the repository and runs `gen:job` on it with every runtime job in one
 * batch, then writes the steps of WRITTEN_STEPS. Verification is skipped: the snapshot suite already type-checks and tests
 * generated code, and this suite runs it.
 */
export async function createRuntimeHost(): Promise<RuntimeHost> {
  const host = createTempHost();
  try {
    const report = await generateWithJson(host.root, RUNTIME_JOB_ANSWERS, ['--no-verify']);
    if (report.exitCode !== 0) {
      throw new Error(
        `gen:job failed (exit ${report.exitCode}):\n${report.run.stderr}\n${report.run.stdout}`,
      );
    }
    writeSteps(host);
  } catch (error) {
    host.remove();
    throw error;
  }
  return {
    host,
    load: (path, names) => importHostModule(host.root, path, names),
  };
}

/** The host modules every runtime test needs: contracts, worker, API, runtime. */
export interface RuntimeModules {
  shared: SharedModule;
  worker: WorkerModule;
  workerPool: WorkerPoolModule;
  producer: ProducerModule;
  db: DbModule;
  api: QueueServiceModule;
  webhookClient: WebhookClientModule;
  jobTimeout: JobTimeoutModule;
}

export async function loadRuntimeModules({ load }: RuntimeHost): Promise<RuntimeModules> {
  const [shared, worker, workerPool, producer, db, api, webhookClient, jobTimeout] =
    await Promise.all([
      load<SharedModule>('packages/shared/src/index.ts', [
        'QUEUE_NAMES',
        'USAGE_REPORT_JOB',
        'ORDER_WEBHOOK_JOB',
        'PARTNER_WEBHOOK_JOB',
        'CRM_SYNC_JOB',
        'SLOW_UPSTREAM_JOB',
        'LEDGER_POSTING_JOB',
        'NOTIFICATION_EMAIL_JOB',
      ]),
      load<WorkerModule>('apps/worker/src/worker.ts', ['startWorkers']),
      load<WorkerPoolModule>('apps/worker/src/runtime/worker-pool.ts', ['createWorkerPool']),
      load<ProducerModule>('apps/worker/src/runtime/producer.ts', ['closeProducer']),
      load<DbModule>('packages/db/src/index.ts', ['closeDatabase', 'withServiceContext']),
      load<QueueServiceModule>('apps/api/src/queue/queue.service.ts', ['QueueService']),
      load<WebhookClientModule>('apps/worker/src/services/webhook.client.ts', ['signWebhookBody']),
      load<JobTimeoutModule>('apps/worker/src/runtime/job-timeout.ts', ['JobTimeoutError']),
    ]);
  return { shared, worker, workerPool, producer, db, api, webhookClient, jobTimeout };
}

/**
 * Stops a pool the way the worker's shutdown does: workers first, then the
 * connections the handlers opened (follow-up producer, database pool).
 */
function closeWithPool(modules: RuntimeModules, teardown: Teardown, pool: WorkerPool): WorkerPool {
  teardown.add('close the worker pool, producer and database pool', async () => {
    await pool.close();
    await Promise.all([modules.producer.closeProducer(), modules.db.closeDatabase()]);
  });
  return pool;
}

/** The host's `startWorkers`: every generated registration, on the test's prefix. */
export function startHostWorkers(
  modules: RuntimeModules,
  teardown: Teardown,
  options: WorkerPoolOptions & { prefix: string },
): WorkerPool {
  return closeWithPool(
    modules,
    teardown,
    modules.worker.startWorkers({ connection: REDIS, ...options }),
  );
}

/** An empty pool of the host's runtime, for handlers built with injected dependencies. */
export function createHostPool(
  modules: RuntimeModules,
  teardown: Teardown,
  options: WorkerPoolOptions & { prefix: string },
): WorkerPool {
  return closeWithPool(
    modules,
    teardown,
    modules.workerPool.createWorkerPool({ connection: REDIS, ...options }),
  );
}

/** The API's QueueService of the host, configured for the test's prefix. */
export function createQueueService(
  modules: RuntimeModules,
  teardown: Teardown,
  prefix: string,
): QueueServiceInstance {
  const service = new modules.api.QueueService({ redisUrl: REDIS_URL, prefix });
  teardown.add('close the QueueService', () => service.onModuleDestroy());
  return service;
}

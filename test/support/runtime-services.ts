import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue, QueueEvents } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';
import { onTestFinished } from 'vitest';
import type { JobLogger } from './runtime-jobs.js';
import { HANG_MS } from './hang.js';

export { HANG_MS };

/**
 * The machine's real services, as the README's Tests section describes them, and the
 * helpers the runtime suite uses to keep every test on its own keys and tables.
 */
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const REDIS: RedisOptions = { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null };
export const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** A short random suffix for BullMQ prefixes and table names. */
export function uniqueName(label: string): string {
  return `jk_rt_${label}_${randomBytes(4).toString('hex')}`;
}

/**
 * Clean-up steps run after the test, last registered first, so that workers stop
 * before their queues are obliterated. Every step runs; failures are reported together.
 */
export class Teardown {
  private readonly steps: { label: string; run: () => Promise<void> | void }[] = [];

  add(label: string, run: () => Promise<void> | void): void {
    this.steps.push({ label, run });
  }

  async run(): Promise<void> {
    const errors: Error[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step.run();
      } catch (error) {
        errors.push(new Error(`teardown "${step.label}" failed`, { cause: error }));
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
  }
}

/** A teardown that runs when the current test finishes, passed or failed. */
export function useTeardown(): Teardown {
  const teardown = new Teardown();
  onTestFinished(() => teardown.run());
  return teardown;
}

/** Deletes every Redis key under `prefix`: what obliterate leaves behind, if anything. */
export async function deletePrefixKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS);
  try {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await redis.quit();
  }
}

/**
 * BullMQ queues and event streams under one prefix, created on demand and removed
 * with everything under the prefix when the test ends.
 */
export class QueueHarness {
  private readonly queues = new Map<string, Queue>();
  private readonly events = new Map<string, QueueEvents>();

  constructor(
    readonly prefix: string,
    teardown: Teardown,
  ) {
    teardown.add(`remove queues under ${prefix}`, async () => {
      await Promise.all([...this.events.values()].map((events) => events.close()));
      for (const queue of this.queues.values()) {
        await queue.obliterate({ force: true });
        await queue.close();
      }
      await deletePrefixKeys(prefix);
    });
  }

  queue<T = unknown>(name: string): Queue<T> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: REDIS, prefix: this.prefix });
      this.queues.set(name, queue);
    }
    // One untyped queue per name; callers name the data type they put on it.
    return queue as Queue<T>;
  }

  /** The queue's event stream, ready before it returns so no event is missed. */
  async queueEvents(name: string): Promise<QueueEvents> {
    let events = this.events.get(name);
    if (!events) {
      events = new QueueEvents(name, { connection: REDIS, prefix: this.prefix });
      this.events.set(name, events);
      this.queue(name);
    }
    await events.waitUntilReady();
    return events;
  }
}

/** Polls `check` until it returns true, failing with `what` if it hangs. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs = HANG_MS, intervalMs = 20 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A promise with its resolve function, for "the step has started" hand-offs. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  details: Record<string, unknown>;
  message: string;
}

/** A logger for a handler's `logger` dependency that keeps what it was told. */
export function captureLogger(): { logger: JobLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const record =
    (level: LogEntry['level']) =>
    (details: object, message: string): void => {
      entries.push({ level, details: { ...details }, message });
    };
  return {
    logger: { info: record('info'), warn: record('warn'), error: record('error') },
    entries,
  };
}

export interface ReceivedRequest {
  /** performance.now() when the request's body had arrived. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: ReceivedRequest[];
}

/**
 * An HTTP server on 127.0.0.1 standing in for a webhook receiver: `answer` picks the
 * status of each request from its position (0 for the first).
 */
export async function startReceiver(
  teardown: Teardown,
  answer: (index: number, request: ReceivedRequest) => number,
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        at: performance.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      const status = answer(requests.length, request);
      requests.push(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  teardown.add('close the webhook receiver', async () => {
    // fetch keeps connections alive; without this, close would wait for them.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests };
}

/** A pool on the test database, ended when the test finishes. */
export function openDatabase(teardown: Teardown): pg.Pool {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
  teardown.add('end the test database pool', () => pool.end());
  return pool;
}

/** Creates a table only this test uses (`columns` is its SQL body) and drops it afterwards. */
export async function createTable(
  pool: pg.Pool,
  teardown: Teardown,
  label: string,
  columns: string,
): Promise<string> {
  const table = uniqueName(label);
  await pool.query(`CREATE TABLE ${table} (${columns})`);
  teardown.add(`drop table ${table}`, async () => {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
  });
  return table;
}

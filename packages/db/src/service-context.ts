import pg from 'pg';

/** A client inside an open transaction: run queries on it, never commit it yourself. */
export type ServiceTransaction = Pick<pg.PoolClient, 'query'>;

export interface ServiceContextOptions {
  /** Aborting it rolls the transaction back and rejects with the abort reason. */
  signal?: AbortSignal;
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

let pool: pg.Pool | undefined;

/** The process-wide pool, created on first use from `DATABASE_URL`. */
export function getPool(): pg.Pool {
  if (!pool) {
    pool = new pg.Pool({ connectionString: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL });
    // A server-side end of an idle connection (restart, idle timeout) is emitted on
    // the pool, which has already dropped that client; unheard, it would crash the
    // process.
    pool.on('error', (error) => process.emitWarning(error));
  }
  return pool;
}

/** Ends the pool; the next `withServiceContext` opens a new one. */
export async function closeDatabase(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.end();
}

function abortReason(signal: AbortSignal): Error {
  const { reason } = signal as { reason: unknown };
  return reason instanceof Error ? reason : new Error('The database work was aborted');
}

/**
 * Runs `fn` in one transaction on behalf of a background service rather than a
 * user: `reason` is recorded in the transaction setting `app.service_context`, so
 * audit triggers and row-level security policies can tell why the service acted.
 * Commits when `fn` resolves, rolls back when it throws or `signal` aborts.
 */
export async function withServiceContext<T>(
  reason: string,
  fn: (tx: ServiceTransaction) => Promise<T>,
  { signal }: ServiceContextOptions = {},
): Promise<T> {
  signal?.throwIfAborted();
  const connectedPool = getPool();
  const client = await connectedPool.connect();
  // On abort the connection is destroyed rather than sent a ROLLBACK, which a busy
  // connection would only read after the running query. The server notices a
  // closed connection only when that query ends too, so its backend is also
  // terminated: that rolls the transaction back and frees its locks at once.
  let backendPid: number | undefined;
  let released = false;
  const release = (error?: Error): void => {
    if (released) return;
    released = true;
    client.release(error);
  };
  let rejectAborted: (error: Error) => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    rejectAborted = reject;
  });
  // `aborted` is observed through Promise.race below; this handler only keeps an
  // abort that lands after the race from surfacing as an unhandled rejection.
  aborted.catch(() => undefined);
  const onAbort = (): void => {
    const error = abortReason(signal as AbortSignal);
    release(error);
    if (backendPid !== undefined) {
      connectedPool
        .query('SELECT pg_terminate_backend($1)', [backendPid])
        .catch((terminateError: unknown) =>
          // The caller already has its rejection; the server still rolls back once
          // the running query ends, so this is only worth a warning.
          process.emitWarning(
            terminateError instanceof Error ? terminateError : String(terminateError),
          ),
        );
    }
    rejectAborted(error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ pid: number }>(
      "SELECT set_config('app.service_context', $1, true), pg_backend_pid() AS pid",
      [reason],
    );
    backendPid = rows[0]?.pid;
    const result = await Promise.race([fn(client), aborted]);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    if (!released) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        release(rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError)));
      }
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    release();
  }
}

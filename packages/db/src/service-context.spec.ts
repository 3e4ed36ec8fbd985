import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeDatabase, getPool, withServiceContext } from './service-context';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// One table per run, so parallel or interrupted runs never see each other's rows.
const table = `service_context_spec_${randomBytes(6).toString('hex')}`;

/** A connection of its own, outside the pool under test, to observe what was committed. */
const observer = new pg.Client({ connectionString: DATABASE_URL });

async function labels(): Promise<string[]> {
  const { rows } = await observer.query<{ label: string }>(
    `SELECT label FROM ${table} ORDER BY id`,
  );
  return rows.map(({ label }) => label);
}

async function backendPid(tx: Pick<pg.ClientBase, 'query'>): Promise<number> {
  const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]?.pid;
  if (pid === undefined) throw new Error('pg_backend_pid() returned no row');
  return pid;
}

/** Polls the server until `check` holds; the test's timeout ends a hang. */
async function waitFor(check: () => Promise<boolean>) {
  while (!(await check())) await sleep(20);
}

async function backendState(pid: number): Promise<{ state: string; query: string } | undefined> {
  const { rows } = await observer.query<{ state: string; query: string }>(
    'SELECT state, query FROM pg_stat_activity WHERE pid = $1',
    [pid],
  );
  return rows[0];
}

/**
 * The next warning emitted with a message matching `message`. It is taken instead of
 * printed: the test causes it on purpose, and a newcomer would read it as a failure.
 * Other warnings are emitted as usual.
 */
function nextWarning(message: RegExp): Promise<Error> {
  const emit = process.emitWarning.bind(process);
  return new Promise((resolve) => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation((warning, ...rest) => {
      if (warning instanceof Error && message.test(warning.message)) {
        spy.mockRestore();
        resolve(warning);
      } else {
        emit(warning, ...(rest as [string]));
      }
    });
  });
}

beforeAll(async () => {
  await observer.connect();
  await observer.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, label text NOT NULL)`);
});

afterAll(async () => {
  await closeDatabase();
  await observer.query(`DROP TABLE IF EXISTS ${table}`);
  await observer.end();
});

beforeEach(async () => {
  await observer.query(`TRUNCATE ${table}`);
});

describe('withServiceContext', () => {
  it('commits when fn resolves, and resolves with its value', async () => {
    const result = await withServiceContext('spec: commit', async (tx) => {
      await tx.query(`INSERT INTO ${table} (label) VALUES ($1)`, ['committed']);
      return { inserted: 1 };
    });

    expect(result).toEqual({ inserted: 1 });
    expect(await labels()).toEqual(['committed']);
  });

  it('runs fn inside one transaction that others see only once it commits', async () => {
    let seenMeanwhile: string[] | undefined;

    await withServiceContext('spec: isolation', async (tx) => {
      await tx.query(`INSERT INTO ${table} (label) VALUES ($1), ($2)`, ['first', 'second']);
      seenMeanwhile = await labels();
    });

    expect(seenMeanwhile).toEqual([]);
    expect(await labels()).toEqual(['first', 'second']);
  });

  it('rolls back when fn throws, and rejects with that very error', async () => {
    const failure = new Error('fn failed after writing');

    await expect(
      withServiceContext('spec: rollback', async (tx) => {
        await tx.query(`INSERT INTO ${table} (label) VALUES ($1)`, ['rolled back']);
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(await labels()).toEqual([]);
  });

  it('rolls back a failed statement so the pooled connection stays usable', async () => {
    await closeDatabase();

    await expect(
      withServiceContext('spec: failed statement', async (tx) => {
        await tx.query(`INSERT INTO ${table} (label) VALUES ($1)`, ['before the error']);
        await tx.query(`SELECT * FROM ${table}_missing`);
      }),
    ).rejects.toMatchObject({ code: '42P01' });

    // The same single connection runs the next transaction: it was not left inside
    // the aborted one.
    await withServiceContext('spec: after failure', async (tx) => {
      await tx.query(`INSERT INTO ${table} (label) VALUES ($1)`, ['after the error']);
    });
    expect(getPool().totalCount).toBe(1);
    expect(await labels()).toEqual(['after the error']);
  });

  it('sets app.service_context for the transaction only', async () => {
    await closeDatabase();
    const reason = `nightly cleanup; it's "quoted" -- ${randomBytes(4).toString('hex')}`;

    const inside = await withServiceContext(reason, async (tx) => {
      const { rows } = await tx.query<{ context: string | null }>(
        "SELECT current_setting('app.service_context', true) AS context",
      );
      return rows[0]?.context;
    });

    expect(inside).toBe(reason);
    // The pool holds that one connection, so this query runs in the same session.
    expect(getPool().totalCount).toBe(1);
    const { rows } = await getPool().query<{ context: string | null }>(
      "SELECT current_setting('app.service_context', true) AS context",
    );
    expect(rows[0]?.context ?? '').toBe('');
  });

  it('on abort mid-query, rejects at once with the reason and the server rolls back', async () => {
    const controller = new AbortController();
    const reason = new Error('the job timed out');
    let pid: number | undefined;

    const running = withServiceContext(
      'spec: abort',
      async (tx) => {
        pid = await backendPid(tx);
        await tx.query(`INSERT INTO ${table} (label) VALUES ($1)`, ['aborted']);
        await tx.query('SELECT pg_sleep(60)');
        return 'finished';
      },
      { signal: controller.signal },
    );
    const settled = running.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await waitFor(async () => {
      if (pid === undefined) return false;
      const backend = await backendState(pid);
      return backend?.state === 'active' && backend.query === 'SELECT pg_sleep(60)';
    });

    controller.abort(reason);
    // The query would run for a minute, longer than the test may take: the abort,
    // not the query's end, settles the work and ends the backend.
    const outcome = await settled;

    expect('error' in outcome && outcome.error).toBe(reason);
    await waitFor(async () => (await backendState(pid ?? 0)) === undefined);
    expect(await labels()).toEqual([]);
    // Its locks are gone with it: an exclusive lock is granted without waiting.
    await observer.query('BEGIN');
    try {
      await observer.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE NOWAIT`);
    } finally {
      await observer.query('ROLLBACK');
    }
    // And the pool goes on working.
    await expect(withServiceContext('spec: after abort', async () => 'ok')).resolves.toBe('ok');
  });

  it('rejects with an Error when the abort reason is not one', async () => {
    const controller = new AbortController();
    let pid: number | undefined;

    const running = withServiceContext(
      'spec: abort with a string',
      async (tx) => {
        pid = await backendPid(tx);
        await tx.query('SELECT pg_sleep(5)');
      },
      { signal: controller.signal },
    );
    const settled = running.then(
      () => undefined,
      (error: unknown) => error,
    );
    await waitFor(async () => {
      if (pid === undefined) return false;
      return (await backendState(pid))?.state === 'active';
    });
    controller.abort('shutting down');

    const error = await settled;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('The database work was aborted');
  });

  it('rejects an already-aborted signal without connecting or calling fn', async () => {
    await closeDatabase();
    const reason = new Error('cancelled before start');
    let called = false;

    await expect(
      withServiceContext(
        'spec: pre-aborted',
        async () => {
          called = true;
        },
        { signal: AbortSignal.abort(reason) },
      ),
    ).rejects.toBe(reason);
    await expect(
      withServiceContext('spec: pre-aborted', async () => undefined, {
        signal: AbortSignal.abort(),
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });

    expect(called).toBe(false);
    // Had it connected, the pool it made would still hold the idle client.
    expect(getPool().totalCount).toBe(0);
  });

  it('works with a signal that never aborts, and removes its listener', async () => {
    const controller = new AbortController();

    await withServiceContext(
      'spec: signal kept',
      async (tx) => {
        await tx.query(`INSERT INTO ${table} (label) VALUES ($1)`, ['kept']);
      },
      { signal: controller.signal },
    );
    // An abort after the commit changes nothing.
    controller.abort(new Error('too late'));

    expect(await labels()).toEqual(['kept']);
    await expect(withServiceContext('spec: next', async () => 1)).resolves.toBe(1);
  });
});

describe('getPool and closeDatabase', () => {
  it('closes the pool, and the next use opens a new one', async () => {
    const first = getPool();
    await withServiceContext('spec: first pool', async () => undefined);

    await closeDatabase();

    await expect(first.connect()).rejects.toThrow(/after calling end/);
    const second = getPool();
    expect(second).not.toBe(first);
    expect(getPool()).toBe(second);
    const pid = await withServiceContext('spec: second pool', backendPid);
    expect(pid).toBeGreaterThan(0);
  });

  it('can be closed when no pool is open', async () => {
    await closeDatabase();
    await expect(closeDatabase()).resolves.toBeUndefined();
  });

  it('survives the server ending an idle connection, reporting it as a warning', async () => {
    await closeDatabase();
    const idlePid = await withServiceContext('spec: idle', backendPid);
    expect(getPool().idleCount).toBe(1);
    const warned = nextWarning(/terminating connection/);

    await observer.query('SELECT pg_terminate_backend($1)', [idlePid]);

    await expect(warned).resolves.toMatchObject({ code: '57P01' });
    const nextPid = await withServiceContext('spec: after idle error', backendPid);
    expect(nextPid).not.toBe(idlePid);
  });
});

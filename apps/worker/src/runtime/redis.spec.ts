import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisSettingsFromEnv } from './redis';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('redisSettingsFromEnv', () => {
  it('defaults to the local Redis, database 0, and BullMQ prefix', () => {
    expect(redisSettingsFromEnv({})).toEqual({
      connection: { host: '127.0.0.1', port: 6379, db: 0, maxRetriesPerRequest: null },
      prefix: 'bull',
    });
  });

  it('reads host, port, database and credentials from REDIS_URL', () => {
    const { connection } = redisSettingsFromEnv({
      REDIS_URL: 'redis://worker%40ops:p%40ss%2Fword@cache.internal:6380/3',
    });

    expect(connection).toEqual({
      host: 'cache.internal',
      port: 6380,
      db: 3,
      username: 'worker@ops',
      password: 'p@ss/word',
      maxRetriesPerRequest: null,
    });
  });

  it('takes a password without a user name', () => {
    const { connection } = redisSettingsFromEnv({ REDIS_URL: 'redis://:secret@cache:6379' });

    expect(connection).toMatchObject({ password: 'secret', db: 0 });
    expect(connection).not.toHaveProperty('username');
  });

  it('reads the key prefix from BULLMQ_PREFIX', () => {
    expect(redisSettingsFromEnv({ BULLMQ_PREFIX: 'forgestack' }).prefix).toBe('forgestack');
  });

  it('reads process.env by default', () => {
    vi.stubEnv('REDIS_URL', 'redis://from-process:7000/1');
    vi.stubEnv('BULLMQ_PREFIX', 'from-process');

    expect(redisSettingsFromEnv()).toMatchObject({
      connection: { host: 'from-process', port: 7000, db: 1 },
      prefix: 'from-process',
    });
  });
});

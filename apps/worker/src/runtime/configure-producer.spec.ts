import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NOTIFICATION_EMAIL_JOB, QUEUE_NAMES } from '@forgestack/shared';
import { closeProducer, configureProducer, getProducer } from './producer';
import { redisSettingsFromEnv } from './redis';
import { createWorkerPool } from './worker-pool';

// Real Redis, under a prefix no other test file or run shares.
const { connection } = redisSettingsFromEnv();
const prefix = `spec-configure-producer-${randomUUID()}`;
const inspector = new Queue(QUEUE_NAMES.NOTIFICATION_EMAIL, { connection, prefix });

afterEach(() => closeProducer());
afterAll(async () => {
  await inspector.obliterate({ force: true });
  await inspector.close();
});

describe('configureProducer', () => {
  it('is called by the worker pool, so follow-ups land on the pool’s prefix', async () => {
    const pool = createWorkerPool({ prefix, connection });
    const jobId = `follow-up-${randomUUID()}`;

    await getProducer().enqueue({
      queue: QUEUE_NAMES.NOTIFICATION_EMAIL,
      data: { userId: randomUUID(), userEmail: 'ada@example.com' },
      options: { ...NOTIFICATION_EMAIL_JOB.options },
      jobId,
    });
    await pool.close();

    expect((await inspector.getJob(jobId))?.data).toMatchObject({ userEmail: 'ada@example.com' });
  });

  it('refuses other settings while the producer is in use, and takes them once it is closed', async () => {
    configureProducer({ prefix });
    getProducer();

    expect(() => configureProducer({ prefix: `${prefix}-other` })).toThrow(/closeProducer/);
    expect(() => configureProducer({ prefix })).not.toThrow();
    await closeProducer();
    expect(() => configureProducer({ prefix: `${prefix}-other` })).not.toThrow();
  });
});

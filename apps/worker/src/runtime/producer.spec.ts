import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import {
  NOTIFICATION_EMAIL_JOB,
  QUEUE_NAMES,
  type NotificationEmailJobData,
} from '@forgestack/shared';
import { closeProducer, createProducer, getProducer, type FollowUpJob } from './producer';
import { redisSettingsFromEnv } from './redis';

// Real Redis, under a prefix no other test file or run shares.
const { connection } = redisSettingsFromEnv();
const prefix = `spec-producer-${randomUUID()}`;
const producer = createProducer({ prefix });
/** Reads back what the producer wrote, through a connection of its own. */
const inspectors = new Map(
  Object.values(QUEUE_NAMES).map((name) => [name, new Queue(name, { connection, prefix })]),
);

function inspect(name: (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES]): Queue {
  const queue = inspectors.get(name);
  if (!queue) throw new Error(`No inspector for ${name}`);
  return queue;
}

afterAll(async () => {
  await producer.close();
  await closeProducer();
  for (const queue of inspectors.values()) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

function followUp(
  jobId: string,
  data: Partial<NotificationEmailJobData> = {},
): FollowUpJob<NotificationEmailJobData> {
  return {
    queue: QUEUE_NAMES.NOTIFICATION_EMAIL,
    data: {
      userId: '00000000-0000-4000-8000-000000000001',
      userEmail: 'ada@example.com',
      title: 'Your export is ready',
      ...data,
    },
    options: { ...NOTIFICATION_EMAIL_JOB.options },
    jobId,
  };
}

describe('createProducer', () => {
  it('adds the job to its queue with the given options and job id', async () => {
    const job = followUp(`audit-log-export-1-${randomUUID()}`);

    const id = await producer.enqueue(job);

    expect(id).toBe(job.jobId);
    const stored = await inspect(QUEUE_NAMES.NOTIFICATION_EMAIL).getJob(id);
    expect(stored?.name).toBe(QUEUE_NAMES.NOTIFICATION_EMAIL);
    expect(stored?.data).toEqual(job.data);
    expect(stored?.opts).toMatchObject({
      attempts: 6,
      backoff: { type: 'exponential', delay: 2000 },
      priority: 4,
    });
    expect(await stored?.getState()).toBe('prioritized');
  });

  it('adds nothing when a job with the same id exists: a retried source job cannot enqueue twice', async () => {
    const jobId = `audit-log-export-2-${randomUUID()}`;
    const queue = inspect(QUEUE_NAMES.NOTIFICATION_EMAIL);
    const before = await queue.count();

    const first = await producer.enqueue(followUp(jobId, { title: 'first' }));
    const second = await producer.enqueue(followUp(jobId, { title: 'second' }));

    expect(second).toBe(first);
    expect(await queue.count()).toBe(before + 1);
    expect((await queue.getJob(jobId))?.data).toMatchObject({ title: 'first' });
  });

  it('uses the follow-up job id over any jobId in the options', async () => {
    const job = { ...followUp(`follow-up-${randomUUID()}`), options: { jobId: 'from-options' } };

    const id = await producer.enqueue(job);

    expect(id).toBe(job.jobId);
    expect(await inspect(QUEUE_NAMES.NOTIFICATION_EMAIL).getJob('from-options')).toBeUndefined();
  });

  it('keeps one queue per name, each adding to its own queue', async () => {
    const welcomeId = `welcome-${randomUUID()}`;

    await producer.enqueue({
      queue: QUEUE_NAMES.WELCOME_EMAIL,
      data: { userId: '00000000-0000-4000-8000-000000000002', email: 'bob@example.com' },
      options: { attempts: 2, delay: 60_000 },
      jobId: welcomeId,
    });

    const stored = await inspect(QUEUE_NAMES.WELCOME_EMAIL).getJob(welcomeId);
    expect(stored?.opts).toMatchObject({ attempts: 2, delay: 60_000 });
    expect(await stored?.getState()).toBe('delayed');
    expect(await inspect(QUEUE_NAMES.NOTIFICATION_EMAIL).getJob(welcomeId)).toBeUndefined();
  });

  it('rejects with the reason of an aborted signal and adds nothing', async () => {
    const jobId = `aborted-${randomUUID()}`;
    const reason = new Error('source job cancelled');

    await expect(producer.enqueue(followUp(jobId), AbortSignal.abort(reason))).rejects.toBe(reason);

    expect(await inspect(QUEUE_NAMES.NOTIFICATION_EMAIL).getJob(jobId)).toBeUndefined();
  });

  it('enqueues with a signal that has not aborted', async () => {
    const jobId = `signal-${randomUUID()}`;

    await producer.enqueue(followUp(jobId), new AbortController().signal);

    expect(await inspect(QUEUE_NAMES.NOTIFICATION_EMAIL).getJob(jobId)).toBeDefined();
  });

  it('can enqueue again after close, on fresh queues', async () => {
    const own = createProducer({ prefix });
    await own.enqueue(followUp(`before-close-${randomUUID()}`));
    await own.close();

    const jobId = `after-close-${randomUUID()}`;
    await own.enqueue(followUp(jobId));
    await own.close();

    expect(await inspect(QUEUE_NAMES.NOTIFICATION_EMAIL).getJob(jobId)).toBeDefined();
  });
});

describe('getProducer and closeProducer', () => {
  it('share one producer until it is closed', async () => {
    const shared = getProducer();
    expect(getProducer()).toBe(shared);

    await closeProducer();

    expect(getProducer()).not.toBe(shared);
  });
});

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { JobDataError, parseWelcomeEmailJobData } from '@forgestack/shared';
import { describeFailure, InvalidJobDataError, validateJobData, willRetry } from './job-outcome';
import { redisSettingsFromEnv } from './redis';

// Real BullMQ jobs on the local Redis, under a prefix no other run shares.
const { connection } = redisSettingsFromEnv();
const prefix = `spec-job-outcome-${randomUUID()}`;
const queues: Queue[] = [];
const workers: Worker[] = [];

/** A queue of its own for each group of tests, so no worker sees another group's jobs. */
function createQueue(name: string): Queue {
  const queue = new Queue(name, { connection, prefix });
  queues.push(queue);
  return queue;
}

const queue = createQueue('job-outcome-spec');

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.close()));
  for (const each of queues) {
    await each.obliterate({ force: true });
    await each.close();
  }
});

const validData = {
  userId: '00000000-0000-4000-8000-000000000001',
  email: 'new.user@example.com',
  firstName: 'Ada',
};

async function addJob(data: unknown, options: JobsOptions = {}, to = queue): Promise<Job> {
  return to.add('welcome-email', data, options);
}

/** Waits until the job has finished for good, then returns it as stored in Redis. */
async function finished(queue: Queue, jobId: string): Promise<Job> {
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') {
      const job = await queue.getJob(jobId);
      if (!job) throw new Error(`Job ${jobId} disappeared`);
      return job;
    }
    await sleep(20);
  }
}

describe('validateJobData', () => {
  it("returns the parser's result for valid data", async () => {
    const job = await addJob({ ...validData, role: 'admin' });

    expect(validateJobData(job, parseWelcomeEmailJobData)).toStrictEqual(validData);
  });

  it('turns a contract breach into an unrecoverable InvalidJobDataError naming the field', async () => {
    const job = await addJob({ ...validData, email: 'not-an-address' });

    let thrown: unknown;
    try {
      validateJobData(job, parseWelcomeEmailJobData);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(InvalidJobDataError);
    expect(thrown).toBeInstanceOf(UnrecoverableError);
    expect(thrown).toMatchObject({
      name: 'InvalidJobDataError',
      field: 'email',
      message:
        'Invalid data for job welcome-email: email: expected an email address, received a string in another format',
    });
    expect((thrown as Error).message).not.toContain('not-an-address');
  });

  it('rethrows any other parser error unchanged', async () => {
    const job = await addJob(validData);
    const bug = new TypeError('parser bug');

    expect(() =>
      validateJobData(job, () => {
        throw bug;
      }),
    ).toThrow(bug);
  });

  it('keeps JobDataError and InvalidJobDataError apart', () => {
    const error = new InvalidJobDataError('userId', 'bad');

    expect(error).not.toBeInstanceOf(JobDataError);
    expect(error.field).toBe('userId');
    expect(error.message).toBe('bad');
  });
});

describe('willRetry', () => {
  it('counts the attempts BullMQ has left', async () => {
    const job = await addJob(validData, { attempts: 3 });
    const failure = new Error('temporary');

    const byAttempt = [0, 1, 2].map((attemptsMade) => {
      job.attemptsMade = attemptsMade;
      return willRetry(job, failure);
    });

    expect(byAttempt).toEqual([true, true, false]);
  });

  it('is false for a job with a single attempt', async () => {
    const byDefault = await addJob(validData);
    const once = await addJob(validData, { attempts: 1 });
    const failure = new Error('temporary');

    expect(willRetry(byDefault, failure)).toBe(false);
    expect(willRetry(once, failure)).toBe(false);
    byDefault.opts = { ...byDefault.opts, attempts: undefined };
    expect(willRetry(byDefault, failure)).toBe(false);
  });

  it('is false for an unrecoverable error, whatever the attempts left', async () => {
    const job = await addJob(validData, { attempts: 10 });

    expect(willRetry(job, new UnrecoverableError('gone'))).toBe(false);
    expect(willRetry(job, new InvalidJobDataError('email', 'bad'))).toBe(false);
  });
});

describe('describeFailure', () => {
  it('gives the job id, the attempt, whether it will be retried and the error', async () => {
    const job = await addJob(validData, { attempts: 4 });
    job.attemptsMade = 1;
    const failure = new Error('smtp timeout');

    expect(describeFailure(job, failure)).toStrictEqual({
      jobId: job.id,
      attempt: 2,
      willRetry: true,
      err: failure,
    });
  });

  it('adds the field of invalid data', async () => {
    const job = await addJob(validData, { attempts: 4 });
    const invalid = new InvalidJobDataError('userId', 'bad');

    expect(describeFailure(job, invalid)).toStrictEqual({
      jobId: job.id,
      attempt: 1,
      willRetry: false,
      field: 'userId',
      err: invalid,
    });
  });
});

describe('with a real BullMQ worker', () => {
  it('fails a job with invalid data at once, although it has attempts left', async () => {
    const invalidQueue = createQueue('job-outcome-spec-invalid');
    const seen: Record<string, unknown>[] = [];
    const worker = new Worker(
      invalidQueue.name,
      async (job: Job) => {
        try {
          return validateJobData(job, parseWelcomeEmailJobData);
        } catch (error) {
          seen.push(describeFailure(job, error));
          throw error;
        }
      },
      { connection, prefix },
    );
    workers.push(worker);
    const added = await addJob({ ...validData, userId: 42 }, { attempts: 5 }, invalidQueue);

    const job = await finished(invalidQueue, added.id ?? '');
    await worker.close();

    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/^Invalid data for job welcome-email: userId: /);
    expect(seen).toEqual([
      expect.objectContaining({ attempt: 1, willRetry: false, field: 'userId' }),
    ]);
  });

  it('retries a plain failure exactly as willRetry predicts', async () => {
    const retryQueue = createQueue('job-outcome-spec-retry');
    const predictions: boolean[] = [];
    const worker = new Worker(
      retryQueue.name,
      async (job: Job) => {
        const failure = new Error(`attempt ${job.attemptsMade + 1} failed`);
        predictions.push(willRetry(job, failure));
        throw failure;
      },
      { connection, prefix },
    );
    workers.push(worker);
    const added = await addJob(validData, { attempts: 3 }, retryQueue);

    const job = await finished(retryQueue, added.id ?? '');
    await worker.close();

    expect(job.attemptsMade).toBe(3);
    expect(job.failedReason).toBe('attempt 3 failed');
    expect(predictions).toEqual([true, true, false]);
  });
});

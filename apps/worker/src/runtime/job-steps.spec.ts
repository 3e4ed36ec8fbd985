import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import {
  defineJob,
  fieldNotWritten,
  FINISHED_STEPS_KEY,
  notWritten,
  StepNotWrittenError,
  type JobRun,
} from './job-steps';

/** This file as the errors name it: relative to the working directory. */
const thisFile = relative(process.cwd(), fileURLToPath(import.meta.url));

type Results = { first: { n: number }; second: string };

/** The members of a BullMQ job the helper reads; a real Job needs a live queue. */
function fakeJob(data: unknown, updateData = vi.fn(async () => undefined)): Job {
  return {
    id: 'job-1',
    name: 'spec',
    queueName: 'spec',
    data,
    attemptsMade: 0,
    opts: { attempts: 3 },
    updateData,
  } as unknown as Job;
}

function processorOf(steps: (run: JobRun<{ id: string }, Results>) => Promise<unknown>) {
  const logger = { info: vi.fn(), error: vi.fn() };
  const processor = defineJob<{ id: string }, Results>({
    name: 'Spec',
    timeoutMs: 1000,
    parse: (input) => input as { id: string },
    logger,
    now: () => 0,
    steps,
  });
  return { processor, logger };
}

describe('notWritten', () => {
  it('fails unrecoverably, naming the step and the line it stands on', async () => {
    const line = new Error().stack?.split('\n')[1]?.match(/:(\d+):\d+\)?$/)?.[1];
    const placeholder = notWritten('generateCsv');

    const error = await placeholder().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StepNotWrittenError);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect((error as Error).message).toBe(
      `The step generateCsv is not written yet; write it at ${thisFile}:${Number(line) + 1}`,
    );
  });

  it('names the field of a follow-up that is left to fill', () => {
    const line = new Error().stack?.split('\n')[1]?.match(/:(\d+):\d+\)?$/)?.[1];
    const build = () => fieldNotWritten('toWebhookDelivery', 'endpointId');

    expect(build).toThrow(
      `The step toWebhookDelivery (the field endpointId) is not written yet; write it at ${thisFile}:${Number(line) + 1}`,
    );
  });
});

describe('defineJob', () => {
  it('records nothing when an attempt succeeds', async () => {
    const updateData = vi.fn(async () => undefined);
    const { processor } = processorOf(async (run) => {
      await run.step('first', async () => ({ n: 1 }));
      await run.step('second', async () => 'two');
    });

    const result = await processor(fakeJob({ id: 'a' }, updateData));

    expect(result).toEqual({ first: { n: 1 }, second: 'two', durationMs: 0 });
    expect(updateData).not.toHaveBeenCalled();
  });

  it('rethrows the attempt’s own error when the finished steps cannot be recorded', async () => {
    const failure = new Error('second failed');
    const updateData = vi.fn(async () => {
      throw new Error('Redis is gone');
    });
    const { processor, logger } = processorOf(async (run) => {
      await run.step('first', async () => ({ n: 1 }));
      await run.step('second', async () => {
        throw failure;
      });
    });

    await expect(processor(fakeJob({ id: 'a' }, updateData))).rejects.toBe(failure);
    expect(updateData).toHaveBeenCalledWith({ id: 'a', [FINISHED_STEPS_KEY]: { first: { n: 1 } } });
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1' }),
      'could not record the finished steps',
    );
  });

  it('records nothing for a failure that will not be retried', async () => {
    const updateData = vi.fn(async () => undefined);
    const { processor } = processorOf(async (run) => {
      await run.step('first', async () => ({ n: 1 }));
      await run.step('second', notWritten('second'));
    });

    await expect(processor(fakeJob({ id: 'a' }, updateData))).rejects.toBeInstanceOf(
      StepNotWrittenError,
    );
    expect(updateData).not.toHaveBeenCalled();
  });
});

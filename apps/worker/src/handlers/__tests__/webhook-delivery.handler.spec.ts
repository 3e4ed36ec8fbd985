import { UnrecoverableError, type Job } from 'bullmq';
import { describe, expect, it, vi } from 'vitest';
import { WEBHOOK_DELIVERY_JOB, type WebhookDeliveryJobData } from '@forgestack/shared';
import {
  createWebhookDeliveryHandler,
  type WebhookDeliveryDependencies,
} from '../webhook-delivery.handler';

const validData: WebhookDeliveryJobData = {
  url: 'https://example.com/hooks/1',
  event: 'sample text 2',
  payload: { key: 'value 3' },
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<WebhookDeliveryJobData> {
  return {
    id: 'job-1',
    name: 'webhook-delivery',
    queueName: 'webhook-delivery',
    data,
    attemptsMade: 0,
    opts: { ...WEBHOOK_DELIVERY_JOB.options },
  } as unknown as Job<WebhookDeliveryJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<WebhookDeliveryDependencies> = {}) {
  const deps = {
    logger: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    now: vi.fn<() => number>().mockReturnValueOnce(1_000).mockReturnValueOnce(1_250),
    perform: vi.fn(async () => undefined),
    postWebhook: vi.fn(async () => ({ status: 202 })),
    ...overrides,
  } satisfies WebhookDeliveryDependencies;
  return { deps, handler: createWebhookDeliveryHandler(deps) };
}

describe('handleWebhookDelivery', () => {
  it('runs the job and returns its result', async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      webhookStatus: 202,
    });
    expect(deps.perform).toHaveBeenCalledWith(validData, expect.any(AbortSignal));
  });

  it('logs the start with the job id and attempt, and the completion with its duration', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', attempt: 1 },
      'WebhookDelivery started',
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: 'job-1', durationMs: 250 },
      'WebhookDelivery completed',
    );
  });

  it('posts the event and its payload to data.url', async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.postWebhook).toHaveBeenCalledWith(
      {
        url: validData.url,
        event: validData.event,
        payload: validData.payload,
        idempotencyKey: 'webhook-delivery-job-1',
      },
      expect.any(AbortSignal),
    );
  });

  it('rethrows when perform fails, so BullMQ retries the job', async () => {
    const failure = new Error('perform failed');
    const { deps, handler } = setup({
      perform: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'WebhookDelivery failed',
    );
  });

  it('rethrows when postWebhook fails, so BullMQ retries the job', async () => {
    const failure = new Error('postWebhook failed');
    const { deps, handler } = setup({
      postWebhook: vi.fn(async () => {
        throw failure;
      }),
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'job-1', attempt: 1, willRetry: true, err: failure }),
      'WebhookDelivery failed',
    );
  });

  it('fails at once, without retries, when the data breaks the contract', async () => {
    const { deps, handler } = setup();

    const invalid = { ...validData, url: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: 'url', willRetry: false }),
      'WebhookDelivery failed',
    );
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createQueueService,
  createRuntimeHost,
  loadRuntimeModules,
  startHostWorkers,
  type RuntimeHost,
  type RuntimeModules,
} from '../support/runtime-host.js';
import type { OrderWebhookData } from '../support/runtime-jobs.js';
import {
  HANG_MS,
  QueueHarness,
  startReceiver,
  uniqueName,
  useTeardown,
} from '../support/runtime-services.js';

/**
 * The generated webhook side effect against a real HTTP server: the default
 * `postWebhook` dependency signs with WEBHOOK_SIGNING_SECRET and BullMQ retries or
 * gives up according to the answer.
 */
let runtime: RuntimeHost | undefined;
let modules: RuntimeModules;

beforeAll(async () => {
  runtime = await createRuntimeHost();
  modules = await loadRuntimeModules(runtime);
});
afterAll(() => runtime?.host.remove());

const SECRET = `runtime-${randomUUID()}`;
let savedSecret: string | undefined;
// The handler reads the secret when it posts, so setting it per test is enough.
beforeEach(() => {
  savedSecret = process.env.WEBHOOK_SIGNING_SECRET;
  process.env.WEBHOOK_SIGNING_SECRET = SECRET;
});
afterEach(() => {
  if (savedSecret === undefined) delete process.env.WEBHOOK_SIGNING_SECRET;
  else process.env.WEBHOOK_SIGNING_SECRET = savedSecret;
});

async function startOrderWebhook(label: string, answer: (index: number) => number) {
  const teardown = useTeardown();
  const prefix = uniqueName(label);
  const queues = new QueueHarness(prefix, teardown);
  const { ORDER_WEBHOOK_JOB } = modules.shared;
  const receiver = await startReceiver(teardown, answer);
  const events = await queues.queueEvents(ORDER_WEBHOOK_JOB.queue);
  startHostWorkers(modules, teardown, { prefix });
  const service = createQueueService(modules, teardown, prefix);
  const data: OrderWebhookData = {
    orderId: randomUUID(),
    endpoint: `${receiver.url}/hooks/orders`,
  };
  const job = await service.enqueueOrderWebhook(data);
  const stored = async () => queues.queue(ORDER_WEBHOOK_JOB.queue).getJob(job.id ?? '');
  return { receiver, events, data, job, stored, ORDER_WEBHOOK_JOB };
}

describe('webhook side effect', () => {
  it('POSTs the event signed with WEBHOOK_SIGNING_SECRET, verifiable with signWebhookBody', async () => {
    const { receiver, events, data, job, stored, ORDER_WEBHOOK_JOB } = await startOrderWebhook(
      'webhook_signed',
      () => 204,
    );
    const result = await job.waitUntilFinished(events, HANG_MS);

    expect(result.postWebhook.status).toBe(204);
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/hooks/orders');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['x-webhook-event']).toBe('order-webhook.completed');
    expect(request?.headers['idempotency-key']).toBe(`${ORDER_WEBHOOK_JOB.queue}-${job.id}`);
    const timestamp = Number(request?.headers['x-webhook-timestamp']);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    // What a receiver does: recompute the signature over the raw body it got.
    const body = request?.body ?? '';
    expect(request?.headers['x-webhook-signature']).toBe(
      modules.webhookClient.signWebhookBody(SECRET, timestamp, body),
    );
    expect(request?.headers['x-webhook-signature']).not.toBe(
      modules.webhookClient.signWebhookBody(`${SECRET}-other`, timestamp, body),
    );
    expect(JSON.parse(body)).toEqual({
      event: 'order-webhook.completed',
      payload: { jobId: job.id, data },
    });
    expect(await (await stored())?.getState()).toBe('completed');
  });

  it('retries after a 500 and completes on the next 200', async () => {
    const { receiver, events, job, stored } = await startOrderWebhook('webhook_500', (index) =>
      index === 0 ? 500 : 200,
    );
    const result = await job.waitUntilFinished(events, HANG_MS);

    expect(result.postWebhook.status).toBe(200);
    expect(receiver.requests).toHaveLength(2);
    const job2 = await stored();
    expect(job2?.attemptsMade).toBe(2);
    expect(await job2?.getState()).toBe('completed');
  });

  it('does not retry a 400: one request, the job fails for good', async () => {
    const { receiver, events, job, stored } = await startOrderWebhook('webhook_400', () => 400);
    await expect(job.waitUntilFinished(events, HANG_MS)).rejects.toThrow(
      'Webhook rejected the delivery with HTTP 400',
    );
    // Finished means failed for good: a job with a retry ahead is delayed, not failed.
    expect(receiver.requests).toHaveLength(1);
    const failed = await stored();
    expect(await failed?.getState()).toBe('failed');
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.opts.attempts).toBe(3);
  });
});

import { createHmac, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest';
import {
  NOTIFICATION_EMAIL_JOB,
  QUEUE_NAMES,
  WEBHOOK_DELIVERY_JOB,
  WELCOME_EMAIL_JOB,
  type NotificationEmailJobData,
  type QueueName,
  type WebhookDeliveryJobData,
  type WelcomeEmailJobData,
} from '@forgestack/shared';
import type { NotificationEmailJobResult } from './handlers/notification-email.handler';
import type { WebhookDeliveryJobResult } from './handlers/webhook-delivery.handler';
import { handleWelcomeEmail, type WelcomeEmailJobResult } from './handlers/welcome-email.handler';
import { redisSettingsFromEnv } from './runtime/redis';
import type { WorkerPool } from './runtime/worker-pool';
import { startHttpReceiver, type HttpReceiver } from './testing/http-receiver';
import { startWorkers } from './worker';

// The handlers' loggers and the email service read the environment when their
// modules load, and vi.hoisted runs before the imports: keep the logs quiet and
// make sure emails go to the development transport, not to a real provider.
const previousEnv = vi.hoisted(() => {
  const { LOG_LEVEL, EMAIL_API_URL, EMAIL_API_KEY } = process.env;
  const previous = { LOG_LEVEL, EMAIL_API_URL, EMAIL_API_KEY };
  process.env.LOG_LEVEL ??= 'silent';
  delete process.env.EMAIL_API_URL;
  delete process.env.EMAIL_API_KEY;
  return previous;
});

const { connection } = redisSettingsFromEnv();
const prefix = `spec-worker-${randomUUID()}`;
const welcomeQueue = new Queue<WelcomeEmailJobData, WelcomeEmailJobResult>(
  QUEUE_NAMES.WELCOME_EMAIL,
  { connection, prefix },
);
const notificationQueue = new Queue<NotificationEmailJobData, NotificationEmailJobResult>(
  QUEUE_NAMES.NOTIFICATION_EMAIL,
  { connection, prefix },
);
const webhookQueue = new Queue<WebhookDeliveryJobData, WebhookDeliveryJobResult>(
  QUEUE_NAMES.WEBHOOK_DELIVERY,
  { connection, prefix },
);
// One per queue name, so afterAll removes the keys of every queue a worker touched.
const cleanupQueues = Object.values(QUEUE_NAMES).map(
  (name) => new Queue(name, { connection, prefix }),
);
const webhookSecret = `whsec_${randomUUID()}`;
let pool: WorkerPool;
let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = await startHttpReceiver();
  pool = startWorkers({ prefix, connection });
  await Promise.all(pool.workers.map((worker) => worker.waitUntilReady()));
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  await pool.close();
  await Promise.all([welcomeQueue.close(), notificationQueue.close(), webhookQueue.close()]);
  for (const queue of cleanupQueues) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await receiver.close();
  if (previousEnv.LOG_LEVEL === undefined) delete process.env.LOG_LEVEL;
  for (const name of ['EMAIL_API_URL', 'EMAIL_API_KEY'] as const) {
    if (previousEnv[name] !== undefined) process.env[name] = previousEnv[name];
  }
});

/** Waits until the job has finished for good. */
async function settle(
  queue: Pick<Queue, 'getJobState'>,
  jobId: string | undefined,
): Promise<string> {
  if (jobId === undefined) throw new Error('The job has no id');
  for (;;) {
    const state = await queue.getJobState(jobId);
    if (state === 'completed' || state === 'failed') return jobId;
    await sleep(20);
  }
}

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('Expected a value');
  return value;
}

const welcomeData: WelcomeEmailJobData = {
  userId: '00000000-0000-4000-8000-000000000001',
  email: 'ada@example.com',
  firstName: 'Ada',
};

describe('startWorkers', () => {
  it('starts one running worker per queue, on the given prefix', () => {
    const names: QueueName[] = Object.values(QUEUE_NAMES);

    expect(pool.workers.map((worker) => worker.name).sort()).toEqual([...names].sort());
    for (const worker of pool.workers) {
      expect(worker.opts.prefix).toBe(prefix);
      expect(worker.isRunning()).toBe(true);
    }
  });

  it('runs a welcome-email job through its handler to a typed result', async () => {
    const added = await welcomeQueue.add(QUEUE_NAMES.WELCOME_EMAIL, welcomeData, {
      ...WELCOME_EMAIL_JOB.options,
    });

    const job = defined(await welcomeQueue.getJob(await settle(welcomeQueue, added.id)));

    expect(await job.getState()).toBe('completed');
    expect(job.attemptsMade).toBe(1);
    const result = job.returnvalue;
    expectTypeOf(result).toEqualTypeOf<WelcomeEmailJobResult>();
    expectTypeOf(handleWelcomeEmail).returns.resolves.toEqualTypeOf<WelcomeEmailJobResult>();
    expect(result).toEqual({ durationMs: expect.any(Number), emailId: expect.any(String) });
    expect(Number.isInteger(result.durationMs) && result.durationMs >= 0).toBe(true);
    // No provider is configured, so the development transport "sent" it.
    expect(result.emailId).toMatch(/^dev-/);
  });

  it('fails a welcome-email job with invalid data at once, without using its retries', async () => {
    const added = await welcomeQueue.add(
      QUEUE_NAMES.WELCOME_EMAIL,
      { ...welcomeData, email: 'ada-at-example.com' },
      { ...WELCOME_EMAIL_JOB.options },
    );

    const job = defined(await welcomeQueue.getJob(await settle(welcomeQueue, added.id)));

    expect(await job.getState()).toBe('failed');
    expect(job.opts.attempts).toBe(4);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(
      'Invalid data for job welcome-email: email: expected an email address, received a string in another format',
    );
  });

  it('runs a notification-email job through its handler', async () => {
    const added = await notificationQueue.add(
      QUEUE_NAMES.NOTIFICATION_EMAIL,
      { userId: welcomeData.userId, userEmail: 'ada@example.com', title: 'Export ready' },
      { ...NOTIFICATION_EMAIL_JOB.options },
    );

    const job = defined(await notificationQueue.getJob(await settle(notificationQueue, added.id)));

    expect(await job.getState()).toBe('completed');
    expect(job.returnvalue.emailId).toMatch(/^dev-/);
  });

  describe('webhook-delivery', () => {
    function webhookJob(path: string): WebhookDeliveryJobData {
      return {
        url: `${receiver.baseUrl}${path}`,
        event: 'invoice.paid',
        payload: { invoiceId: 'inv_9' },
      };
    }

    it('delivers a signed webhook and completes with its status', async () => {
      vi.stubEnv('WEBHOOK_SIGNING_SECRET', webhookSecret);
      receiver.respond = (_request, response) => void response.writeHead(200).end();
      const requestsBefore = receiver.requests.length;

      const added = await webhookQueue.add(QUEUE_NAMES.WEBHOOK_DELIVERY, webhookJob('/hooks/ok'), {
        ...WEBHOOK_DELIVERY_JOB.options,
      });
      const job = defined(await webhookQueue.getJob(await settle(webhookQueue, added.id)));

      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ durationMs: expect.any(Number), webhookStatus: 200 });
      const delivered = receiver.requests.slice(requestsBefore);
      expect(delivered).toHaveLength(1);
      const [request] = delivered;
      const timestamp = String(request?.headers['x-webhook-timestamp']);
      const expected = createHmac('sha256', webhookSecret)
        .update(`${timestamp}.${request?.body ?? ''}`)
        .digest('hex');
      expect(request?.headers['x-webhook-signature']).toBe(`sha256=${expected}`);
      expect(request?.headers['idempotency-key']).toBe(`webhook-delivery-${job.id}`);
      expect(JSON.parse(request?.body ?? '')).toEqual({
        event: 'invoice.paid',
        payload: { invoiceId: 'inv_9' },
      });
    });

    it('fails for good when the receiver answers 410', async () => {
      vi.stubEnv('WEBHOOK_SIGNING_SECRET', webhookSecret);
      receiver.respond = (_request, response) => void response.writeHead(410).end();

      const added = await webhookQueue.add(
        QUEUE_NAMES.WEBHOOK_DELIVERY,
        webhookJob('/hooks/gone'),
        { ...WEBHOOK_DELIVERY_JOB.options },
      );
      const job = defined(await webhookQueue.getJob(await settle(webhookQueue, added.id)));

      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toBe('Webhook rejected the delivery with HTTP 410');
    });

    it('retries on 503 with the same idempotency key until the attempts run out', async () => {
      vi.stubEnv('WEBHOOK_SIGNING_SECRET', webhookSecret);
      receiver.respond = (_request, response) => void response.writeHead(503).end();
      const requestsBefore = receiver.requests.length;

      const added = await webhookQueue.add(
        QUEUE_NAMES.WEBHOOK_DELIVERY,
        webhookJob('/hooks/busy'),
        { ...WEBHOOK_DELIVERY_JOB.options, attempts: 2, backoff: { type: 'fixed', delay: 10 } },
      );
      const job = defined(await webhookQueue.getJob(await settle(webhookQueue, added.id)));

      expect(await job.getState()).toBe('failed');
      expect(job.attemptsMade).toBe(2);
      expect(job.failedReason).toBe('Webhook answered HTTP 503');
      const keys = receiver.requests
        .slice(requestsBefore)
        .map(({ headers }) => headers['idempotency-key']);
      expect(keys).toEqual([`webhook-delivery-${job.id}`, `webhook-delivery-${job.id}`]);
    });

    it('fails for good without a signing secret', async () => {
      vi.stubEnv('WEBHOOK_SIGNING_SECRET', undefined);
      const requestsBefore = receiver.requests.length;

      const added = await webhookQueue.add(
        QUEUE_NAMES.WEBHOOK_DELIVERY,
        webhookJob('/hooks/unsigned'),
        { ...WEBHOOK_DELIVERY_JOB.options },
      );
      const job = defined(await webhookQueue.getJob(await settle(webhookQueue, added.id)));

      expect(job.attemptsMade).toBe(1);
      expect(job.failedReason).toBe('WEBHOOK_SIGNING_SECRET is not set');
      expect(receiver.requests.length).toBe(requestsBefore);
    });
  });

  it('close stops every worker', async () => {
    expect(await welcomeQueue.getWorkersCount()).toBe(1);
    await pool.close();

    expect(pool.workers.map((worker) => worker.isRunning())).toEqual(pool.workers.map(() => false));
    // No worker is connected to the queue any more, so nothing can take a new job:
    // checked in Redis rather than by waiting a while for a job that must not run.
    expect(await welcomeQueue.getWorkersCount()).toBe(0);
    const added = await welcomeQueue.add(QUEUE_NAMES.WELCOME_EMAIL, welcomeData);
    expect(await welcomeQueue.getJobState(added.id ?? '')).toBe('waiting');
  });
});

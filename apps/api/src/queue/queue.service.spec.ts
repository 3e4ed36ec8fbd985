import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Test, type TestingModule } from '@nestjs/testing';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  JobDataError,
  NOTIFICATION_EMAIL_JOB,
  QUEUE_NAMES,
  WEBHOOK_DELIVERY_JOB,
  WELCOME_EMAIL_JOB,
  type JobRunPolicy,
  type QueueName,
  type WelcomeEmailJobData,
} from '@forgestack/shared';
import { QUEUE_CONFIG, queueConfigFromEnv, type QueueConfig } from './queue.config';
import { QueueModule } from './queue.module';
import { QueueService } from './queue.service';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// Real Redis, under a prefix no other test file or run shares.
const prefix = `spec-api-queue-${randomUUID()}`;

/** The service's Redis URL, naming its connection so CLIENT LIST can find it. */
function namedUrl(connectionName: string): string {
  const url = new URL(REDIS_URL);
  url.searchParams.set('connectionName', connectionName);
  return url.toString();
}

/** Reads back what the service wrote, through a connection of its own. */
const observer = new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
const inspectors = new Map(
  Object.values(QUEUE_NAMES).map((name) => [
    name,
    new Queue(name, { connection: observer, prefix }),
  ]),
);

function inspect(name: QueueName): Queue {
  const queue = inspectors.get(name);
  if (!queue) throw new Error(`No inspector for ${name}`);
  return queue;
}

async function storedJob(name: QueueName, jobId: string | undefined): Promise<Job> {
  const job = jobId === undefined ? undefined : await inspect(name).getJob(jobId);
  if (!job) throw new Error(`Job ${jobId} is not in ${name}`);
  return job;
}

async function totalJobs(name: QueueName): Promise<number> {
  const counts = await inspect(name).getJobCounts();
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

async function clientNames(): Promise<string[]> {
  const list = String(await observer.client('LIST'));
  return [...list.matchAll(/\bname=(\S*)/g)].map((match) => match[1] ?? '');
}

const modules = new Set<TestingModule>();

/** The real QueueModule, with only its configuration replaced. */
async function compileQueueModule(config: QueueConfig): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports: [QueueModule] })
    .overrideProvider(QUEUE_CONFIG)
    .useValue(config)
    .compile();
  modules.add(moduleRef);
  return moduleRef;
}

/** Closes a module, which runs onModuleDestroy, once. */
async function closeModule(moduleRef: TestingModule): Promise<void> {
  modules.delete(moduleRef);
  await moduleRef.close();
}

let service: QueueService;

beforeAll(async () => {
  const moduleRef = await compileQueueModule({
    redisUrl: namedUrl(`spec-api-${randomUUID()}`),
    prefix,
  });
  service = moduleRef.get(QueueService);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

afterAll(async () => {
  for (const moduleRef of modules) await closeModule(moduleRef);
  for (const queue of inspectors.values()) {
    await queue.obliterate({ force: true });
    await queue.close();
  }
  await observer.quit();
});

const welcomeData: WelcomeEmailJobData = {
  userId: '00000000-0000-4000-8000-000000000001',
  email: 'ada@example.com',
  firstName: 'Ada',
};

interface EnqueueCase {
  method: string;
  contract: { queue: QueueName; options: JobRunPolicy };
  /** What reaches Redis: the valid data, without the key the contract does not declare. */
  expected: object;
  /** Enqueues valid data plus that undeclared key. */
  enqueue: (options?: JobsOptions) => Promise<Job>;
  enqueueInvalid: () => Promise<Job>;
  invalidField: string;
}

const withExtra = <T extends object>(data: T) => ({ ...data, internalNote: 'not in the contract' });

const notificationData = {
  userId: '00000000-0000-4000-8000-000000000002',
  userEmail: 'bob@example.com',
  title: 'Your export is ready',
  message: 'Download it from the audit log page.',
};
const webhookData = {
  url: 'https://hooks.example.com/forgestack',
  event: 'invoice.paid',
  payload: { invoiceId: 'inv_1', amount: 4200 },
};

const ENQUEUE_CASES: EnqueueCase[] = [
  {
    method: 'enqueueWelcomeEmail',
    contract: WELCOME_EMAIL_JOB,
    expected: welcomeData,
    enqueue: (options) => service.enqueueWelcomeEmail(withExtra(welcomeData), options),
    enqueueInvalid: () => service.enqueueWelcomeEmail({ ...welcomeData, userId: 'user-1' }),
    invalidField: 'userId',
  },
  {
    method: 'enqueueNotificationEmail',
    contract: NOTIFICATION_EMAIL_JOB,
    expected: notificationData,
    enqueue: (options) => service.enqueueNotificationEmail(withExtra(notificationData), options),
    enqueueInvalid: () =>
      service.enqueueNotificationEmail({ ...notificationData, userEmail: 'bob at example.com' }),
    invalidField: 'userEmail',
  },
  {
    method: 'enqueueWebhookDelivery',
    contract: WEBHOOK_DELIVERY_JOB,
    expected: webhookData,
    enqueue: (options) => service.enqueueWebhookDelivery(withExtra(webhookData), options),
    enqueueInvalid: () =>
      service.enqueueWebhookDelivery({ ...webhookData, url: 'ftp://hooks.example.com/x' }),
    invalidField: 'url',
  },
];

describe('QueueService through Nest', () => {
  it("gets its configuration injected: the decorators' metadata survives the transform", () => {
    expect(Reflect.getMetadata('self:paramtypes', QueueService)).toEqual([
      { index: 0, param: QUEUE_CONFIG },
    ]);
    expect(Reflect.getMetadata('design:paramtypes', QueueService)).toEqual([Object]);
  });

  it('is one instance per module', () => {
    const [moduleRef] = modules;
    expect(moduleRef?.get(QueueService)).toBe(service);
  });

  it('reads its configuration from the environment unless overridden', async () => {
    vi.stubEnv('BULLMQ_PREFIX', `${prefix}-from-env`);
    const moduleRef = await Test.createTestingModule({ imports: [QueueModule] }).compile();
    modules.add(moduleRef);

    expect(moduleRef.get<QueueConfig>(QUEUE_CONFIG)).toEqual({
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: `${prefix}-from-env`,
    });
    expect(moduleRef.get(QueueService).getQueue(QUEUE_NAMES.WELCOME_EMAIL).opts.prefix).toBe(
      `${prefix}-from-env`,
    );
    await closeModule(moduleRef);
  });
});

describe('queueConfigFromEnv', () => {
  it('defaults to the local Redis and BullMQ prefix', () => {
    expect(queueConfigFromEnv({})).toEqual({ redisUrl: 'redis://127.0.0.1:6379', prefix: 'bull' });
  });

  it('reads REDIS_URL and BULLMQ_PREFIX', () => {
    expect(
      queueConfigFromEnv({ REDIS_URL: 'redis://cache:6380/2', BULLMQ_PREFIX: 'forgestack' }),
    ).toEqual({ redisUrl: 'redis://cache:6380/2', prefix: 'forgestack' });
  });
});

describe('QueueService.addJob', () => {
  it('adds the data as is, with the given options, under the configured prefix', async () => {
    const jobId = `custom-${randomUUID()}`;
    const data = { anything: ['goes', 1], nested: { ok: true } };

    const job = await service.addJob(QUEUE_NAMES.WELCOME_EMAIL, data, {
      jobId,
      attempts: 2,
      delay: 60_000,
    });

    expect(job.id).toBe(jobId);
    const stored = await storedJob(QUEUE_NAMES.WELCOME_EMAIL, jobId);
    expect(stored.name).toBe(QUEUE_NAMES.WELCOME_EMAIL);
    expect(stored.data).toEqual(data);
    expect(stored.opts).toMatchObject({ attempts: 2, delay: 60_000 });
    expect(await stored.getState()).toBe('delayed');
  });

  it('adds a plain waiting job without options', async () => {
    const job = await service.addJob(QUEUE_NAMES.NOTIFICATION_EMAIL, { plain: true });

    const stored = await storedJob(QUEUE_NAMES.NOTIFICATION_EMAIL, job.id);
    expect(stored.data).toEqual({ plain: true });
    expect(await stored.getState()).toBe('waiting');
  });
});

describe.each(ENQUEUE_CASES)('QueueService.$method', (testCase) => {
  const { contract } = testCase;

  it("adds the checked data to the contract's queue with its run policy", async () => {
    const job = await testCase.enqueue();

    const stored = await storedJob(contract.queue, job.id);
    expect(stored.name).toBe(contract.queue);
    expect(stored.data).toStrictEqual(testCase.expected);
    expect(stored.opts).toMatchObject({
      attempts: contract.options.attempts,
      backoff: contract.options.backoff,
      priority: contract.options.priority,
    });
    expect(await stored.getState()).toBe('prioritized');
    // The returned job holds the checked copy as well.
    expect(job.data).toStrictEqual(testCase.expected);
  });

  it('lets per-call options override the run policy', async () => {
    const jobId = `override-${randomUUID()}`;

    const job = await testCase.enqueue({ jobId, priority: 9, attempts: 1, delay: 30_000 });

    expect(job.id).toBe(jobId);
    const stored = await storedJob(contract.queue, jobId);
    expect(stored.opts).toMatchObject({
      priority: 9,
      attempts: 1,
      delay: 30_000,
      backoff: contract.options.backoff,
    });
  });

  it('rejects invalid data with JobDataError before anything is queued', async () => {
    const before = await totalJobs(contract.queue);

    const error = await testCase.enqueueInvalid().then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toBeInstanceOf(JobDataError);
    expect(error).toMatchObject({ field: testCase.invalidField });
    expect(await totalJobs(contract.queue)).toBe(before);
  });
});

describe('QueueService.getQueue', () => {
  it('keeps one BullMQ queue per name, on the configured prefix', () => {
    const welcome = service.getQueue(QUEUE_NAMES.WELCOME_EMAIL);
    const webhook = service.getQueue(QUEUE_NAMES.WEBHOOK_DELIVERY);

    expect(service.getQueue(QUEUE_NAMES.WELCOME_EMAIL)).toBe(welcome);
    expect(webhook).not.toBe(welcome);
    expect(welcome).toBeInstanceOf(Queue);
    expect(welcome.name).toBe(QUEUE_NAMES.WELCOME_EMAIL);
    expect(webhook.name).toBe(QUEUE_NAMES.WEBHOOK_DELIVERY);
    expect(welcome.opts.prefix).toBe(prefix);
  });
});

describe('QueueService.onModuleDestroy', () => {
  it('closes every queue and quits the Redis connection when the module closes', async () => {
    const connectionName = `spec-api-${randomUUID()}`;
    const moduleRef = await compileQueueModule({ redisUrl: namedUrl(connectionName), prefix });
    const own = moduleRef.get(QueueService);
    const queues = [QUEUE_NAMES.WELCOME_EMAIL, QUEUE_NAMES.NOTIFICATION_EMAIL].map((name) =>
      own.getQueue(name),
    );
    await own.enqueueWelcomeEmail(welcomeData);
    expect(await clientNames()).toContain(connectionName);

    await closeModule(moduleRef);

    for (const queue of queues) expect(queue.closing).toBeInstanceOf(Promise);
    // QUIT is answered before the server drops the connection.
    await vi.waitFor(
      async () => {
        expect(await clientNames()).not.toContain(connectionName);
      },
      { timeout: 25_000, interval: 20 },
    );
  });
});

import { Injectable, type OnModuleDestroy } from "@nestjs/common";
import { Queue, type Job, type JobsOptions } from "bullmq";
import IORedis from "ioredis";
import {
  QUEUE_NAMES,
  type QueueName,
  type WelcomeEmailJobData,
  USAGE_DIGEST_JOB,
  parseUsageDigestJobData,
  type UsageDigestJobData,
  ACCOUNT_CLOSURE_JOB,
  parseAccountClosureJobData,
  type AccountClosureJobData
} from "@acme/shared";

@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly connection = new IORedis(
    process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
    { maxRetriesPerRequest: 3 }
  );
  private readonly queues = new Map<QueueName, Queue>();

  getQueue(name: QueueName): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.connection });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Callers may only delay a job; retries are the queue's business. */
  async addJob<T>(
    queueName: QueueName,
    data: T,
    options?: { delay?: number }
  ): Promise<void> {
    await this.getQueue(queueName).add(queueName, data, options);
  }

  async sendWelcomeEmail(data: WelcomeEmailJobData): Promise<void> {
    await this.addJob(QUEUE_NAMES.WELCOME_EMAIL, data);
  }

  /**
   * Queues an Usage digest job.
   *
   * Purpose: Emails an account's weekly usage digest and posts it to the account's webhook
   *
   * Trigger: Every Monday at 06:00 UTC, one job per account
   *
   * Checks `data` against the job's contract, then adds the job with priority
   * 6 and 5 attempts:
   * 4 retries after the first try, waiting 500ms, 1s, 2s, 4s (exponential backoff).
   * The worker fails an attempt after 90s. `options` overrides any
   * of these per call.
   */
  async enqueueUsageDigest(
    data: UsageDigestJobData,
    options: JobsOptions = {}
  ): Promise<Job<UsageDigestJobData>> {
    // addJob takes no retry options, so the job goes through its queue directly.
    return this.getQueue(USAGE_DIGEST_JOB.queue).add(
      USAGE_DIGEST_JOB.queue,
      parseUsageDigestJobData(data),
      {
        ...USAGE_DIGEST_JOB.options,
        ...options
      }
    );
  }

  /**
   * Queues an Account closure job.
   *
   * Purpose: Closes an account and sends its final usage digest
   *
   * Trigger: When the owner confirms closing the account
   *
   * Checks `data` against the job's contract, then adds the job with priority
   * 5 and 4 attempts:
   * 3 retries after the first try, waiting 10s, 10s, 10s (fixed backoff).
   * The worker fails an attempt after 60s. `options` overrides any
   * of these per call.
   */
  async enqueueAccountClosure(
    data: AccountClosureJobData,
    options: JobsOptions = {}
  ): Promise<Job<AccountClosureJobData>> {
    // addJob takes no retry options, so the job goes through its queue directly.
    return this.getQueue(ACCOUNT_CLOSURE_JOB.queue).add(
      ACCOUNT_CLOSURE_JOB.queue,
      parseAccountClosureJobData(data),
      {
        ...ACCOUNT_CLOSURE_JOB.options,
        ...options
      }
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.connection.quit();
  }
}

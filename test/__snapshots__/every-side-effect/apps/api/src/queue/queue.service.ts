import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import {
  type QueueName,
  WELCOME_EMAIL_JOB,
  parseWelcomeEmailJobData,
  type WelcomeEmailJobData,
  NOTIFICATION_EMAIL_JOB,
  parseNotificationEmailJobData,
  type NotificationEmailJobData,
  WEBHOOK_DELIVERY_JOB,
  parseWebhookDeliveryJobData,
  type WebhookDeliveryJobData,
  INVOICE_DELIVERY_JOB,
  parseInvoiceDeliveryJobData,
  type InvoiceDeliveryJobData,
} from '@forgestack/shared';
import { QUEUE_CONFIG, type QueueConfig } from './queue.config';

/**
 * The API's only way onto the job queues: one Redis connection, one BullMQ queue
 * per name, and a typed `enqueue…` method per job that applies its run policy.
 */
@Injectable()
export class QueueService implements OnModuleDestroy {
  private readonly connection: Redis;
  private readonly queues = new Map<QueueName, Queue<unknown>>();

  constructor(@Inject(QUEUE_CONFIG) private readonly config: QueueConfig) {
    // Shared by every queue. BullMQ never closes a connection it was given, so
    // onModuleDestroy quits it after closing the queues.
    this.connection = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  }

  getQueue(name: QueueName): Queue<unknown> {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue<unknown>(name, { connection: this.connection, prefix: this.config.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Adds a job as is. Prefer the typed methods below: they check the data and set retries. */
  async addJob<T>(queueName: QueueName, data: T, options: JobsOptions = {}): Promise<Job<T>> {
    const job = await this.getQueue(queueName).add(queueName, data, options);
    // The queue is untyped because it is shared by name; `data` was typed by the caller.
    return job as Job<T>;
  }

  /**
   * Queues a Welcome email job.
   *
   * Purpose: Sends the welcome email to a user who has just signed up
   *
   * Trigger: After a user signs up (UsersService.signUp)
   *
   * Checks `data` against the job's contract, then adds the job with priority
   * 2 and 4 attempts:
   * 3 retries after the first try, waiting 1s, 2s, 4s (exponential backoff).
   * The worker fails an attempt after 30s. `options` overrides any
   * of these per call.
   */
  async enqueueWelcomeEmail(
    data: WelcomeEmailJobData,
    options: JobsOptions = {},
  ): Promise<Job<WelcomeEmailJobData>> {
    return this.addJob(WELCOME_EMAIL_JOB.queue, parseWelcomeEmailJobData(data), {
      ...WELCOME_EMAIL_JOB.options,
      ...options,
    });
  }

  /**
   * Queues a Notification email job.
   *
   * Purpose: Emails a user about something that happened in their account
   *
   * Trigger: Queued by services and other jobs when a user should hear about an event
   *
   * Checks `data` against the job's contract, then adds the job with priority
   * 4 and 6 attempts:
   * 5 retries after the first try, waiting 2s, 4s, 8s, 16s, 32s (exponential backoff).
   * The worker fails an attempt after 30s. `options` overrides any
   * of these per call.
   */
  async enqueueNotificationEmail(
    data: NotificationEmailJobData,
    options: JobsOptions = {},
  ): Promise<Job<NotificationEmailJobData>> {
    return this.addJob(NOTIFICATION_EMAIL_JOB.queue, parseNotificationEmailJobData(data), {
      ...NOTIFICATION_EMAIL_JOB.options,
      ...options,
    });
  }

  /**
   * Queues a Webhook delivery job.
   *
   * Purpose: Delivers an event to a customer's webhook endpoint, signed with HMAC-SHA256
   *
   * Trigger: When an event a customer subscribed to happens (WebhooksService.dispatch)
   *
   * Checks `data` against the job's contract, then adds the job with priority
   * 3 and 9 attempts:
   * 8 retries after the first try, waiting 5s, 10s, 20s, …, 640s (exponential backoff).
   * The worker fails an attempt after 15s. `options` overrides any
   * of these per call.
   */
  async enqueueWebhookDelivery(
    data: WebhookDeliveryJobData,
    options: JobsOptions = {},
  ): Promise<Job<WebhookDeliveryJobData>> {
    return this.addJob(WEBHOOK_DELIVERY_JOB.queue, parseWebhookDeliveryJobData(data), {
      ...WEBHOOK_DELIVERY_JOB.options,
      ...options,
    });
  }

  /**
   * Queues an Invoice delivery job.
   *
   * Purpose: Renders an invoice, stores it, emails it and tells the customer's system
   *
   * Trigger: When BillingService closes an invoice
   *
   * Checks `data` against the job's contract, then adds the job with priority
   * 1 and 3 attempts:
   * 2 retries after the first try, waiting 2.5s, 2.5s (fixed backoff).
   * The worker fails an attempt after 120s. `options` overrides any
   * of these per call.
   */
  async enqueueInvoiceDelivery(
    data: InvoiceDeliveryJobData,
    options: JobsOptions = {},
  ): Promise<Job<InvoiceDeliveryJobData>> {
    return this.addJob(INVOICE_DELIVERY_JOB.queue, parseInvoiceDeliveryJobData(data), {
      ...INVOICE_DELIVERY_JOB.options,
      ...options,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
    await this.connection.quit();
  }
}

import {
  QUEUE_NAMES,
  type WelcomeEmailJobData,
  type NotificationEmailJobData,
  type WebhookDeliveryJobData,
  type AuditLogExportJobData,
} from '@forgestack/shared';
import { closeDatabase } from '@forgestack/db';
import { closeProducer } from './runtime/producer';
import { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from './runtime/worker-pool';
import { createLogger } from './telemetry/logger';
import { handleWelcomeEmail } from './handlers/welcome-email.handler';
import { handleNotificationEmail } from './handlers/notification-email.handler';
import { handleWebhookDelivery } from './handlers/webhook-delivery.handler';
import { handleAuditLogExport } from './handlers/audit-log-export.handler';

const logger = createLogger('Worker');

/** Starts one BullMQ worker per queue. */
export function startWorkers(options: WorkerPoolOptions = {}): WorkerPool {
  const pool = createWorkerPool(options);
  const { createWorker } = pool;

  createWorker<WelcomeEmailJobData>(QUEUE_NAMES.WELCOME_EMAIL, handleWelcomeEmail);
  createWorker<NotificationEmailJobData>(QUEUE_NAMES.NOTIFICATION_EMAIL, handleNotificationEmail);
  createWorker<WebhookDeliveryJobData>(QUEUE_NAMES.WEBHOOK_DELIVERY, handleWebhookDelivery);
  createWorker<AuditLogExportJobData>(QUEUE_NAMES.AUDIT_LOG_EXPORT, handleAuditLogExport);

  return pool;
}

/**
 * Graceful shutdown: on SIGTERM or SIGINT stop taking jobs, let the active ones
 * finish, then close the connections the handlers opened.
 */
export function closeOnSignals(pool: WorkerPool): void {
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'Shutting down: waiting for active jobs');
    try {
      await pool.close();
      await Promise.all([closeProducer(), closeDatabase()]);
      logger.info({}, 'Worker stopped');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'Worker did not stop cleanly');
      process.exit(1);
    }
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

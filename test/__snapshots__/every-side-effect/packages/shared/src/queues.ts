/**
 * Every BullMQ queue of the platform. The API adds jobs to these queues and the
 * worker consumes them, so both import the names from here.
 */
export const QUEUE_NAMES = {
  WELCOME_EMAIL: 'welcome-email',
  NOTIFICATION_EMAIL: 'notification-email',
  WEBHOOK_DELIVERY: 'webhook-delivery',
  INVOICE_DELIVERY: 'invoice-delivery',
} as const;

export type QueueKey = keyof typeof QUEUE_NAMES;
export type QueueName = (typeof QUEUE_NAMES)[QueueKey];

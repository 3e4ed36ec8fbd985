export const QUEUE_NAMES = {
  WELCOME_EMAIL: "welcome-email",
  WEBHOOK_DELIVERY: "webhook-delivery",
  USAGE_DIGEST: "usage-digest",
  ACCOUNT_CLOSURE: "account-closure"
} as const;

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

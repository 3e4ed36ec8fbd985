import { Worker, type Processor } from "bullmq";
import type {
  WebhookDeliveryJobData,
  WelcomeEmailJobData,
  UsageDigestJobData,
  AccountClosureJobData
} from "@acme/shared";
import { handleWebhookDelivery } from "./handlers/webhook-delivery.handler";
import { handleWelcomeEmail } from "./handlers/welcome-email.handler";
import { QUEUE_NAMES, type QueueName } from "./queues";
import { createLogger } from "./telemetry/logger";
import { handleUsageDigest } from "./handlers/usage-digest.handler";
import { handleAccountClosure } from "./handlers/account-closure.handler";

const logger = createLogger("Worker");
const connection = {
  host: process.env.REDIS_HOST ?? "127.0.0.1",
  port: Number(process.env.REDIS_PORT ?? 6379),
  maxRetriesPerRequest: null
};
const workers: Worker[] = [];

function registerWorker<T>(
  queueName: QueueName,
  processor: Processor<T>
): void {
  const worker = new Worker<T>(queueName, processor, { connection });
  worker.on("error", (error) => logger.error({ err: error }, "worker error"));
  workers.push(worker as unknown as Worker);
}

export function startWorkers(): void {
  // Emails
  registerWorker<WelcomeEmailJobData>(
    QUEUE_NAMES.WELCOME_EMAIL,
    handleWelcomeEmail
  );

  // Integrations
  registerWorker<WebhookDeliveryJobData>(
    QUEUE_NAMES.WEBHOOK_DELIVERY,
    handleWebhookDelivery
  );
  registerWorker<UsageDigestJobData>(
    QUEUE_NAMES.USAGE_DIGEST,
    handleUsageDigest
  );
  registerWorker<AccountClosureJobData>(
    QUEUE_NAMES.ACCOUNT_CLOSURE,
    handleAccountClosure
  );
}

export async function stopWorkers(): Promise<void> {
  await Promise.all(workers.map((worker) => worker.close()));
}

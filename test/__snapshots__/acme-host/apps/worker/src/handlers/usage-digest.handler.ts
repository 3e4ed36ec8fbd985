import { withServiceContext } from "@acme/db";
import {
  USAGE_DIGEST_JOB,
  parseUsageDigestJobData,
  QUEUE_NAMES,
  type UsageDigestJobData
} from "@acme/shared";
import type { WebhookDeliveryJobData } from "@acme/shared";
import {
  defineJob,
  fieldNotWritten,
  notWritten,
  type JobLog,
  type JobRun,
  type Json
} from "../runtime/job-steps";
import { getProducer, type FollowUpJob } from "../runtime/producer";
import { sendEmail, type SendEmailOptions } from "../services/email.service";
import { createLogger } from "../telemetry/logger";
import { withJobSpan } from "../telemetry/tracing";

/** The transaction handle that `withServiceContext` passes to its callback. */
export type ServiceTransaction = Parameters<
  Parameters<typeof withServiceContext>[1]
>[0];

/**
 * What each step hands on to the steps after it, by step name. A finished step's
 * result is kept on the job, so a retry skips the step: keep each one JSON. Give
 * each `Json` the shape its step returns, e.g. `{ url: string }`.
 */
export type UsageDigestResults = {
  updateDatabase: Json;
  storeDigestPdf: Json;
  sendEmail: { emailId: string };
  deliverWebhook: { jobId: string };
};

/**
 * The job's own code, one function per step. Each gets the validated data, what the
 * steps before it returned, and a signal that aborts when the attempt times out or
 * the job is cancelled.
 */
export interface UsageDigestSteps {
  /** The job's reads and writes, on `tx`: they commit together, or roll back when this throws. */
  updateDatabase(
    tx: ServiceTransaction,
    data: UsageDigestJobData,
    signal: AbortSignal
  ): Promise<UsageDigestResults["updateDatabase"]>;
  /** Stores the digest PDF */
  storeDigestPdf(
    data: UsageDigestJobData,
    earlier: Pick<UsageDigestResults, "updateDatabase">,
    signal: AbortSignal
  ): Promise<UsageDigestResults["storeDigestPdf"]>;
  /** The email sent to `data.ownerEmail`. */
  composeEmail(
    data: UsageDigestJobData,
    earlier: Pick<UsageDigestResults, "updateDatabase" | "storeDigestPdf">
  ): Promise<SendEmailOptions>;
  /** The data of the WEBHOOK_DELIVERY job queued by deliverWebhook. */
  toWebhookDelivery(
    data: UsageDigestJobData,
    earlier: Pick<
      UsageDigestResults,
      "updateDatabase" | "storeDigestPdf" | "sendEmail"
    >
  ): Promise<WebhookDeliveryJobData>;
}

/**
 * Write the job here. A step still holding `notWritten` fails the job at once,
 * without retries, naming itself and this file's line.
 */
export const usageDigestSteps: UsageDigestSteps = {
  updateDatabase: notWritten("updateDatabase"),
  storeDigestPdf: notWritten("storeDigestPdf"),
  composeEmail: notWritten("composeEmail"),
  // Fill in: WEBHOOK_DELIVERY's fields that this job's data has no match for.
  toWebhookDelivery: async (data) => ({
    url: data.webhookUrl,
    event: fieldNotWritten("toWebhookDelivery", "event"),
    payload: fieldNotWritten("toWebhookDelivery", "payload")
  })
};

/** How the steps reach the world. The defaults are the real services; tests replace them. */
export interface UsageDigestServices {
  withServiceContext: (
    reason: string,
    work: (
      tx: ServiceTransaction
    ) => Promise<UsageDigestResults["updateDatabase"]>,
    options: { signal: AbortSignal }
  ) => Promise<UsageDigestResults["updateDatabase"]>;
  sendEmail: (
    message: SendEmailOptions,
    signal: AbortSignal
  ) => ReturnType<typeof sendEmail>;
  enqueue: (
    followUp: FollowUpJob<unknown>,
    signal: AbortSignal
  ) => Promise<string>;
}

export const usageDigestServices: UsageDigestServices = {
  withServiceContext,
  sendEmail: (message) => sendEmail(message),
  enqueue: (followUp, signal) => getProducer().enqueue(followUp, signal)
};

/** Usage digest, step by step: Emails an account's weekly usage digest and posts it to the account's webhook */
export async function runUsageDigest(
  run: JobRun<UsageDigestJobData, UsageDigestResults>,
  steps: UsageDigestSteps,
  services: UsageDigestServices
): Promise<void> {
  const updateDatabase = await run.step("updateDatabase", () =>
    services.withServiceContext(
      "jobs:usage-digest",
      (tx) => steps.updateDatabase(tx, run.data, run.signal),
      { signal: run.signal }
    )
  );
  const storeDigestPdf = await run.step("storeDigestPdf", () =>
    steps.storeDigestPdf(run.data, { updateDatabase }, run.signal)
  );
  const sendEmail = await run.step("sendEmail", async () => {
    const message = await steps.composeEmail(run.data, {
      updateDatabase,
      storeDigestPdf
    });
    const sent = await services.sendEmail(message, run.signal);
    return { emailId: sent.id };
  });
  await run.step("deliverWebhook", async () => ({
    jobId: await services.enqueue(
      {
        queue: QUEUE_NAMES.WEBHOOK_DELIVERY,
        data: await steps.toWebhookDelivery(run.data, {
          updateDatabase,
          storeDigestPdf,
          sendEmail
        }),
        options: {},
        jobId: run.key
      },
      run.signal
    )
  }));
}

export interface UsageDigestOverrides {
  steps?: Partial<UsageDigestSteps>;
  services?: Partial<UsageDigestServices>;
  logger?: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now?: () => number;
}

/**
 * Builds the Usage digest processor for BullMQ: the steps above, with the data
 * checked against the contract first, within the job's timeout, logged, and
 * rethrowing errors so BullMQ retries (see ../runtime/job-steps).
 */
export function createUsageDigestHandler(overrides: UsageDigestOverrides = {}) {
  const steps = { ...usageDigestSteps, ...overrides.steps };
  const services = { ...usageDigestServices, ...overrides.services };
  const processor = defineJob<UsageDigestJobData, UsageDigestResults>({
    name: "UsageDigest",
    timeoutMs: USAGE_DIGEST_JOB.timeoutMs,
    parse: parseUsageDigestJobData,
    logger: overrides.logger ?? createLogger("UsageDigest"),
    now: overrides.now ?? (() => performance.now()),
    steps: (run) => runUsageDigest(run, steps, services)
  });
  return function handleUsageDigest(...args: Parameters<typeof processor>) {
    return withJobSpan("usage-digest", () => processor(...args));
  };
}

/** The processor the worker registers for QUEUE_NAMES.USAGE_DIGEST. */
export const handleUsageDigest = createUsageDigestHandler();

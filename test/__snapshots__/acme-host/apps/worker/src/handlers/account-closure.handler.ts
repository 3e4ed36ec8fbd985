import type { Job } from "bullmq";
import { withServiceContext } from "@acme/db";
import {
  ACCOUNT_CLOSURE_JOB,
  USAGE_DIGEST_JOB,
  parseAccountClosureJobData,
  type AccountClosureJobData,
  type UsageDigestJobData
} from "@acme/shared";
import { describeFailure, validateJobData } from "../runtime/job-outcome";
import { runWithTimeout } from "../runtime/job-timeout";
import { getProducer, type FollowUpJob } from "../runtime/producer";
import { createLogger } from "../telemetry/logger";
import { withJobSpan } from "../telemetry/tracing";

/** The transaction handle that `withServiceContext` passes to its callback. */
export type ServiceTransaction = Parameters<
  Parameters<typeof withServiceContext>[1]
>[0];

/** What a completed Account closure job returns; BullMQ keeps it as the job's return value. */
export interface AccountClosureJobResult {
  /** How long the attempt took, in milliseconds. */
  durationMs: number;
  /** Ids of the follow-up jobs queued, in the order of `followUps` below. */
  followUpJobIds: string[];
}

/**
 * Everything the handler does beyond its own code. The defaults below are the real
 * implementations; tests pass doubles to `createAccountClosureHandler`.
 */
export interface AccountClosureDependencies {
  logger: Pick<ReturnType<typeof createLogger>, "info" | "error">;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's own work: Closes an account and sends its final usage digest */
  perform: (data: AccountClosureJobData, signal: AbortSignal) => Promise<void>;
  /** Opens the transaction `updateDatabase` runs in. */
  withServiceContext: (
    reason: string,
    work: (tx: ServiceTransaction) => Promise<void>,
    options: { signal: AbortSignal }
  ) => Promise<void>;
  /** The job's reads and writes: they commit together, or roll back when this throws. */
  updateDatabase: (
    tx: ServiceTransaction,
    data: AccountClosureJobData,
    signal: AbortSignal
  ) => Promise<void>;
  /** The data of the USAGE_DIGEST job queued when this one succeeds. */
  toUsageDigest: (data: AccountClosureJobData) => UsageDigestJobData;
  enqueue: (
    followUp: FollowUpJob<unknown>,
    signal: AbortSignal
  ) => Promise<string>;
}

/** The real dependencies. Write the job's business logic in the steps marked "Fill in". */
export const defaultAccountClosureDependencies: AccountClosureDependencies = {
  logger: createLogger("AccountClosure"),
  now: () => performance.now(),
  // Fill in: the job's own work. It gets validated data and a signal that aborts
  // when the attempt times out or the job is cancelled.
  perform: async () => undefined,
  withServiceContext,
  // Fill in: the job's reads and writes, on `tx`.
  updateDatabase: async () => undefined,
  // USAGE_DIGEST's optional fields not filled from this job's data: channels.
  toUsageDigest: (data) => ({
    accountId: data.accountId,
    ownerEmail: data.ownerEmail,
    webhookUrl: data.webhookUrl,
    weekStart: data.weekStart
  }),
  enqueue: (followUp, signal) => getProducer().enqueue(followUp, signal)
};

/**
 * Builds the Account closure processor for BullMQ. Runs after the data passed its
 * contract check, within the job's timeout; any error is logged and rethrown so
 * BullMQ retries the job (or fails it for good on invalid data).
 */
export function createAccountClosureHandler(
  overrides: Partial<AccountClosureDependencies> = {}
) {
  const deps: AccountClosureDependencies = {
    ...defaultAccountClosureDependencies,
    ...overrides
  };

  return async function handleAccountClosure(
    job: Job<AccountClosureJobData>,
    _token?: string,
    signal?: AbortSignal
  ): Promise<AccountClosureJobResult> {
    return withJobSpan("account-closure", async () => {
      const startedAt = deps.now();
      deps.logger.info(
        { jobId: job.id, attempt: job.attemptsMade + 1 },
        "AccountClosure started"
      );
      try {
        const data = validateJobData(job, parseAccountClosureJobData);
        // The same on every attempt, so receivers and BullMQ can drop repeats.
        const jobKey = `${job.queueName}-${job.id}`;
        const result = await runWithTimeout(
          ACCOUNT_CLOSURE_JOB.timeoutMs,
          job,
          signal,
          async (stepSignal) => {
            await deps.perform(data, stepSignal);
            await deps.withServiceContext(
              "jobs:account-closure",
              (tx) => deps.updateDatabase(tx, data, stepSignal),
              { signal: stepSignal }
            );
            const followUpJobIds: string[] = [];
            followUpJobIds.push(
              await deps.enqueue(
                {
                  queue: USAGE_DIGEST_JOB.queue,
                  data: deps.toUsageDigest(data),
                  options: USAGE_DIGEST_JOB.options,
                  jobId: jobKey
                },
                stepSignal
              )
            );
            return {
              followUpJobIds
            };
          }
        );
        const durationMs = Math.round(deps.now() - startedAt);
        deps.logger.info(
          { jobId: job.id, durationMs },
          "AccountClosure completed"
        );
        return { durationMs, ...result };
      } catch (error) {
        deps.logger.error(describeFailure(job, error), "AccountClosure failed");
        throw error;
      }
    });
  };
}

/** The processor the worker registers for QUEUE_NAMES.ACCOUNT_CLOSURE. */
export const handleAccountClosure = createAccountClosureHandler();

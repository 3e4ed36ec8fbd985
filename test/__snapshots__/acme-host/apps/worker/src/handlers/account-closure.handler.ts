import { withServiceContext } from "@acme/db";
import {
  ACCOUNT_CLOSURE_JOB,
  USAGE_DIGEST_JOB,
  parseAccountClosureJobData,
  QUEUE_NAMES,
  type AccountClosureJobData,
  type UsageDigestJobData
} from "@acme/shared";
import type { AuditLogJobData } from "./audit-log.handler";
import {
  defineJob,
  fieldNotWritten,
  notWritten,
  type JobLog,
  type JobRun,
  type Json
} from "../runtime/job-steps";
import { getProducer, type FollowUpJob } from "../runtime/producer";
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
export type AccountClosureResults = {
  updateDatabase: Json;
  queueUsageDigest: { jobId: string };
  queueAuditLogs: { jobId: string };
};

/**
 * The job's own code, one function per step. Each gets the validated data, what the
 * steps before it returned, and a signal that aborts when the attempt times out or
 * the job is cancelled.
 */
export interface AccountClosureSteps {
  /** The job's reads and writes, on `tx`: they commit together, or roll back when this throws. */
  updateDatabase(
    tx: ServiceTransaction,
    data: AccountClosureJobData,
    signal: AbortSignal
  ): Promise<AccountClosureResults["updateDatabase"]>;
  /** The data of the USAGE_DIGEST job queued by queueUsageDigest. */
  toUsageDigest(
    data: AccountClosureJobData,
    earlier: Pick<AccountClosureResults, "updateDatabase">
  ): Promise<UsageDigestJobData>;
  /** The data of the AUDIT_LOGS job queued by queueAuditLogs. */
  toAuditLogs(
    data: AccountClosureJobData,
    earlier: Pick<AccountClosureResults, "updateDatabase" | "queueUsageDigest">
  ): Promise<AuditLogJobData>;
}

/**
 * Write the job here. A step still holding `notWritten` fails the job at once,
 * without retries, naming itself and this file's line.
 */
export const accountClosureSteps: AccountClosureSteps = {
  updateDatabase: notWritten("updateDatabase"),
  // USAGE_DIGEST's optional fields not filled from this job's data: channels.
  toUsageDigest: async (data) => ({
    accountId: data.accountId,
    ownerEmail: data.ownerEmail,
    webhookUrl: data.webhookUrl,
    weekStart: data.weekStart
  }),
  // AUDIT_LOGS's optional fields not filled from this job's data: actorEmail, metadata.
  // Fill in: AUDIT_LOGS's fields that this job's data has no match for.
  toAuditLogs: async (data) => ({
    accountId: data.accountId,
    action: fieldNotWritten("toAuditLogs", "action")
  })
};

/** How the steps reach the world. The defaults are the real services; tests replace them. */
export interface AccountClosureServices {
  withServiceContext: (
    reason: string,
    work: (
      tx: ServiceTransaction
    ) => Promise<AccountClosureResults["updateDatabase"]>,
    options: { signal: AbortSignal }
  ) => Promise<AccountClosureResults["updateDatabase"]>;
  enqueue: (
    followUp: FollowUpJob<unknown>,
    signal: AbortSignal
  ) => Promise<string>;
}

export const accountClosureServices: AccountClosureServices = {
  withServiceContext,
  enqueue: (followUp, signal) => getProducer().enqueue(followUp, signal)
};

/** Account closure, step by step: Closes an account and sends its final usage digest */
export async function runAccountClosure(
  run: JobRun<AccountClosureJobData, AccountClosureResults>,
  steps: AccountClosureSteps,
  services: AccountClosureServices
): Promise<void> {
  const updateDatabase = await run.step("updateDatabase", () =>
    services.withServiceContext(
      "jobs:account-closure",
      (tx) => steps.updateDatabase(tx, run.data, run.signal),
      { signal: run.signal }
    )
  );
  const queueUsageDigest = await run.step("queueUsageDigest", async () => ({
    jobId: await services.enqueue(
      {
        queue: USAGE_DIGEST_JOB.queue,
        data: await steps.toUsageDigest(run.data, { updateDatabase }),
        options: USAGE_DIGEST_JOB.options,
        jobId: run.key
      },
      run.signal
    )
  }));
  await run.step("queueAuditLogs", async () => ({
    jobId: await services.enqueue(
      {
        queue: QUEUE_NAMES.AUDIT_LOGS,
        data: await steps.toAuditLogs(run.data, {
          updateDatabase,
          queueUsageDigest
        }),
        options: {},
        jobId: run.key
      },
      run.signal
    )
  }));
}

export interface AccountClosureOverrides {
  steps?: Partial<AccountClosureSteps>;
  services?: Partial<AccountClosureServices>;
  logger?: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now?: () => number;
}

/**
 * Builds the Account closure processor for BullMQ: the steps above, with the data
 * checked against the contract first, within the job's timeout, logged, and
 * rethrowing errors so BullMQ retries (see ../runtime/job-steps).
 */
export function createAccountClosureHandler(
  overrides: AccountClosureOverrides = {}
) {
  const steps = { ...accountClosureSteps, ...overrides.steps };
  const services = { ...accountClosureServices, ...overrides.services };
  const processor = defineJob<AccountClosureJobData, AccountClosureResults>({
    name: "AccountClosure",
    timeoutMs: ACCOUNT_CLOSURE_JOB.timeoutMs,
    parse: parseAccountClosureJobData,
    logger: overrides.logger ?? createLogger("AccountClosure"),
    now: overrides.now ?? (() => performance.now()),
    steps: (run) => runAccountClosure(run, steps, services)
  });
  return function handleAccountClosure(...args: Parameters<typeof processor>) {
    return withJobSpan("account-closure", () => processor(...args));
  };
}

/** The processor the worker registers for QUEUE_NAMES.ACCOUNT_CLOSURE. */
export const handleAccountClosure = createAccountClosureHandler();

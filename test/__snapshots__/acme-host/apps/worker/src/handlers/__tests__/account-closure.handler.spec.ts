import { UnrecoverableError, type Job } from "bullmq";
import {
  ACCOUNT_CLOSURE_JOB,
  USAGE_DIGEST_JOB,
  QUEUE_NAMES,
  type AccountClosureJobData
} from "@acme/shared";
import type { AuditLogJobData } from "../audit-log.handler";
import { FINISHED_STEPS_KEY } from "../../runtime/job-steps";
import {
  accountClosureSteps,
  createAccountClosureHandler,
  type AccountClosureResults,
  type AccountClosureServices,
  type AccountClosureSteps,
  type ServiceTransaction
} from "../account-closure.handler";

const validData: AccountClosureJobData = {
  accountId: "00000000-0000-4000-8000-000000000001",
  ownerEmail: "user2@example.com",
  webhookUrl: "https://example.com/hooks/3",
  weekStart: "2026-01-05T09:30:00.000Z"
};

/** What each step's double returns, so a test can follow it into the next step. */
const results = {
  updateDatabase: { from: "updateDatabase" },
  queueUsageDigest: { jobId: "follow-up-1" },
  queueAuditLogs: { jobId: "follow-up-1" }
};

/** Stands for the AUDIT_LOGS data that toAuditLogs builds once it is written. */
const toAuditLogsData = { built: "toAuditLogs" } as unknown as AuditLogJobData;

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown, attemptsMade = 0): Job {
  return {
    id: "job-1",
    name: "account-closure",
    queueName: "account-closure",
    data,
    attemptsMade,
    opts: { ...ACCOUNT_CLOSURE_JOB.options },
    updateData: jest.fn(async () => undefined)
  } as unknown as Job;
}

interface Doubles {
  steps?: Partial<AccountClosureSteps>;
  services?: Partial<AccountClosureServices>;
}

/** Doubles for every step and service; `doubles` swaps single ones. */
function setup(doubles: Doubles = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: jest.fn() } as unknown as ServiceTransaction;
  const steps = {
    updateDatabase: jest.fn(async () => results.updateDatabase),
    toUsageDigest: jest.fn(accountClosureSteps.toUsageDigest),
    toAuditLogs: jest.fn(async () => toAuditLogsData),
    ...doubles.steps
  } satisfies AccountClosureSteps;
  const services = {
    withServiceContext: jest.fn(
      (
        _reason: string,
        work: (
          tx: ServiceTransaction
        ) => Promise<AccountClosureResults["updateDatabase"]>
      ) => work(tx)
    ),
    enqueue: jest.fn(async () => "follow-up-1"),
    ...doubles.services
  } satisfies AccountClosureServices;
  const logger = { info: jest.fn(), error: jest.fn() };
  const now = jest
    .fn((): number => 0)
    .mockReturnValueOnce(1_000)
    .mockReturnValueOnce(1_250);
  const handler = createAccountClosureHandler({ steps, services, logger, now });
  return { steps, services, logger, tx, handler };
}

const failure = new Error("the step failed");
const fails = async (): Promise<never> => {
  throw failure;
};

describe("handleAccountClosure", () => {
  it("runs the steps in order and returns what each one handed on", async () => {
    const { handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it("hands each step the data and what the steps before it returned", async () => {
    const { steps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(steps.updateDatabase).toHaveBeenCalledWith(
      tx,
      validData,
      expect.any(AbortSignal)
    );
    expect(steps.toUsageDigest).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase
    });
    expect(steps.toAuditLogs).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase,
      queueUsageDigest: results.queueUsageDigest
    });
  });

  it("logs the start with the job id and attempt, and the completion with its duration", async () => {
    const { logger, handler } = setup();

    await handler(fakeJob(validData));

    expect(logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", attempt: 1 },
      "AccountClosure started"
    );
    expect(logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", durationMs: 250 },
      "AccountClosure completed"
    );
  });

  it("runs updateDatabase inside withServiceContext", async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.withServiceContext).toHaveBeenCalledWith(
      "jobs:account-closure",
      expect.any(Function),
      {
        signal: expect.any(AbortSignal)
      }
    );
  });

  it("queues USAGE_DIGEST with the data toUsageDigest built, keyed by the job", async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.enqueue).toHaveBeenCalledWith(
      {
        queue: USAGE_DIGEST_JOB.queue,
        data: {
          accountId: validData.accountId,
          ownerEmail: validData.ownerEmail,
          webhookUrl: validData.webhookUrl,
          weekStart: validData.weekStart
        },
        options: USAGE_DIGEST_JOB.options,
        jobId: "account-closure-job-1"
      },
      expect.any(AbortSignal)
    );
  });

  it("queues AUDIT_LOGS with the data toAuditLogs built, keyed by the job", async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.enqueue).toHaveBeenCalledWith(
      {
        queue: QUEUE_NAMES.AUDIT_LOGS,
        data: toAuditLogsData,
        options: {},
        jobId: "account-closure-job-1"
      },
      expect.any(AbortSignal)
    );
  });

  it.each([
    ["updateDatabase", { steps: { updateDatabase: fails } }],
    ["toUsageDigest", { steps: { toUsageDigest: fails } }],
    ["toAuditLogs", { steps: { toAuditLogs: fails } }],
    ["withServiceContext", { services: { withServiceContext: fails } }],
    ["enqueue", { services: { enqueue: fails } }]
  ] satisfies [string, Doubles][])(
    "rethrows when %s fails, so BullMQ retries the job",
    async (_name, doubles) => {
      const { logger, handler } = setup(doubles);

      await expect(handler(fakeJob(validData))).rejects.toBe(failure);
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({
          jobId: "job-1",
          attempt: 1,
          willRetry: true,
          err: failure
        }),
        "AccountClosure failed"
      );
    }
  );

  it("records the finished steps when a later one fails, and a retry skips them", async () => {
    const failing = setup({ steps: { toAuditLogs: fails } });
    const job = fakeJob(validData);

    await expect(failing.handler(job)).rejects.toBe(failure);
    const recorded = {
      updateDatabase: results.updateDatabase,
      queueUsageDigest: results.queueUsageDigest
    };
    expect(job.updateData).toHaveBeenCalledWith({
      ...validData,
      [FINISHED_STEPS_KEY]: recorded
    });

    const { steps, services, handler } = setup();
    const result = await handler(
      fakeJob({ ...validData, [FINISHED_STEPS_KEY]: recorded }, 1)
    );

    expect(steps.updateDatabase).not.toHaveBeenCalled();
    expect(steps.toUsageDigest).not.toHaveBeenCalled();
    expect(services.withServiceContext).not.toHaveBeenCalled();
    expect(result).toEqual({ ...results, durationMs: 250 });
  });

  it("fails at once, without retries, when the data breaks the contract", async () => {
    const { logger, handler } = setup();

    const invalid = { ...validData, accountId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(
      UnrecoverableError
    );
    expect(logger.info).not.toHaveBeenCalledWith(
      expect.anything(),
      "AccountClosure completed"
    );
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: "accountId", willRetry: false }),
      "AccountClosure failed"
    );
  });
});

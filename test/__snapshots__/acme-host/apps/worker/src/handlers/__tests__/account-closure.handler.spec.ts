import { UnrecoverableError, type Job } from "bullmq";
import {
  ACCOUNT_CLOSURE_JOB,
  USAGE_DIGEST_JOB,
  type AccountClosureJobData
} from "@acme/shared";
import {
  createAccountClosureHandler,
  defaultAccountClosureDependencies,
  type AccountClosureDependencies,
  type ServiceTransaction
} from "../account-closure.handler";

const validData: AccountClosureJobData = {
  accountId: "00000000-0000-4000-8000-000000000001",
  ownerEmail: "user2@example.com",
  webhookUrl: "https://example.com/hooks/3",
  weekStart: "2026-01-05T09:30:00.000Z"
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<AccountClosureJobData> {
  return {
    id: "job-1",
    name: "account-closure",
    queueName: "account-closure",
    data,
    attemptsMade: 0,
    opts: { ...ACCOUNT_CLOSURE_JOB.options }
  } as unknown as Job<AccountClosureJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<AccountClosureDependencies> = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: jest.fn() } as unknown as ServiceTransaction;
  const deps = {
    logger: { info: jest.fn(), error: jest.fn() },
    now: jest
      .fn((): number => 0)
      .mockReturnValueOnce(1_000)
      .mockReturnValueOnce(1_250),
    perform: jest.fn(async () => undefined),
    withServiceContext: jest.fn(
      (_reason: string, work: (tx: ServiceTransaction) => Promise<void>) =>
        work(tx)
    ),
    updateDatabase: jest.fn(async () => undefined),
    toUsageDigest: defaultAccountClosureDependencies.toUsageDigest,
    enqueue: jest.fn(async () => "follow-up-1"),
    ...overrides
  } satisfies AccountClosureDependencies;
  return { deps, tx, handler: createAccountClosureHandler(deps) };
}

describe("handleAccountClosure", () => {
  it("runs the job and returns its result", async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      followUpJobIds: ["follow-up-1"]
    });
    expect(deps.perform).toHaveBeenCalledWith(
      validData,
      expect.any(AbortSignal)
    );
  });

  it("logs the start with the job id and attempt, and the completion with its duration", async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", attempt: 1 },
      "AccountClosure started"
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", durationMs: 250 },
      "AccountClosure completed"
    );
  });

  it("runs updateDatabase inside withServiceContext", async () => {
    const { deps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.withServiceContext).toHaveBeenCalledWith(
      "jobs:account-closure",
      expect.any(Function),
      {
        signal: expect.any(AbortSignal)
      }
    );
    expect(deps.updateDatabase).toHaveBeenCalledWith(
      tx,
      validData,
      expect.any(AbortSignal)
    );
  });

  it("queues USAGE_DIGEST with data taken from this job", async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.enqueue).toHaveBeenCalledWith(
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

  it("rethrows when perform fails, so BullMQ retries the job", async () => {
    const failure = new Error("perform failed");
    const { deps, handler } = setup({
      perform: jest.fn(async () => {
        throw failure;
      })
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({
        jobId: "job-1",
        attempt: 1,
        willRetry: true,
        err: failure
      }),
      "AccountClosure failed"
    );
  });

  it("rethrows when updateDatabase fails, so BullMQ retries the job", async () => {
    const failure = new Error("updateDatabase failed");
    const { deps, handler } = setup({
      updateDatabase: jest.fn(async () => {
        throw failure;
      })
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({
        jobId: "job-1",
        attempt: 1,
        willRetry: true,
        err: failure
      }),
      "AccountClosure failed"
    );
  });

  it("rethrows when enqueue fails, so BullMQ retries the job", async () => {
    const failure = new Error("enqueue failed");
    const { deps, handler } = setup({
      enqueue: jest.fn(async () => {
        throw failure;
      })
    });

    await expect(handler(fakeJob(validData))).rejects.toBe(failure);
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({
        jobId: "job-1",
        attempt: 1,
        willRetry: true,
        err: failure
      }),
      "AccountClosure failed"
    );
  });

  it("fails at once, without retries, when the data breaks the contract", async () => {
    const { deps, handler } = setup();

    const invalid = { ...validData, accountId: 12345 };
    await expect(handler(fakeJob(invalid))).rejects.toBeInstanceOf(
      UnrecoverableError
    );
    expect(deps.perform).not.toHaveBeenCalled();
    expect(deps.logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: "accountId", willRetry: false }),
      "AccountClosure failed"
    );
  });
});

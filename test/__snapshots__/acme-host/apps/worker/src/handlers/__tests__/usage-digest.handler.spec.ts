import { UnrecoverableError, type Job } from "bullmq";
import { USAGE_DIGEST_JOB, type UsageDigestJobData } from "@acme/shared";
import {
  createUsageDigestHandler,
  defaultUsageDigestDependencies,
  type UsageDigestDependencies,
  type ServiceTransaction
} from "../usage-digest.handler";

const validData: UsageDigestJobData = {
  accountId: "00000000-0000-4000-8000-000000000001",
  ownerEmail: "user2@example.com",
  webhookUrl: "https://example.com/hooks/3",
  weekStart: "2026-01-05T09:30:00.000Z",
  channels: "email"
};

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown): Job<UsageDigestJobData> {
  return {
    id: "job-1",
    name: "usage-digest",
    queueName: "usage-digest",
    data,
    attemptsMade: 0,
    opts: { ...USAGE_DIGEST_JOB.options }
  } as unknown as Job<UsageDigestJobData>;
}

/** Doubles for every dependency; `overrides` swaps single ones. */
function setup(overrides: Partial<UsageDigestDependencies> = {}) {
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
    storesTheDigestPdf: jest.fn(async () => undefined),
    composeEmail: defaultUsageDigestDependencies.composeEmail,
    sendEmail: jest.fn(async () => ({ id: "email-1" })),
    postWebhook: jest.fn(async () => ({ status: 202 })),
    ...overrides
  } satisfies UsageDigestDependencies;
  return { deps, tx, handler: createUsageDigestHandler(deps) };
}

describe("handleUsageDigest", () => {
  it("runs the job and returns its result", async () => {
    const { deps, handler } = setup();

    const result = await handler(fakeJob(validData));

    expect(result).toEqual({
      durationMs: 250,
      emailId: "email-1",
      webhookStatus: 202
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
      "UsageDigest started"
    );
    expect(deps.logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", durationMs: 250 },
      "UsageDigest completed"
    );
  });

  it("runs updateDatabase inside withServiceContext", async () => {
    const { deps, tx, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.withServiceContext).toHaveBeenCalledWith(
      "jobs:usage-digest",
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

  it("runs the step storesTheDigestPdf", async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.storesTheDigestPdf).toHaveBeenCalledWith(
      validData,
      expect.any(AbortSignal)
    );
  });

  it("emails data.ownerEmail, keyed by the job so a retry cannot send twice", async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({
        to: validData.ownerEmail,
        idempotencyKey: "usage-digest-job-1"
      }),
      expect.any(AbortSignal)
    );
  });

  it("posts the webhook to data.webhookUrl", async () => {
    const { deps, handler } = setup();

    await handler(fakeJob(validData));

    expect(deps.postWebhook).toHaveBeenCalledWith(
      {
        url: validData.webhookUrl,
        event: "usage-digest.completed",
        payload: { jobId: "job-1", data: validData },
        idempotencyKey: "usage-digest-job-1"
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
      "UsageDigest failed"
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
      "UsageDigest failed"
    );
  });

  it("rethrows when storesTheDigestPdf fails, so BullMQ retries the job", async () => {
    const failure = new Error("storesTheDigestPdf failed");
    const { deps, handler } = setup({
      storesTheDigestPdf: jest.fn(async () => {
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
      "UsageDigest failed"
    );
  });

  it("rethrows when sendEmail fails, so BullMQ retries the job", async () => {
    const failure = new Error("sendEmail failed");
    const { deps, handler } = setup({
      sendEmail: jest.fn(async () => {
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
      "UsageDigest failed"
    );
  });

  it("rethrows when postWebhook fails, so BullMQ retries the job", async () => {
    const failure = new Error("postWebhook failed");
    const { deps, handler } = setup({
      postWebhook: jest.fn(async () => {
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
      "UsageDigest failed"
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
      "UsageDigest failed"
    );
  });
});

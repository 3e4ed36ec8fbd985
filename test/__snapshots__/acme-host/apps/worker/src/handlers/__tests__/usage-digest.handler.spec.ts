import { UnrecoverableError, type Job } from "bullmq";
import {
  USAGE_DIGEST_JOB,
  QUEUE_NAMES,
  type UsageDigestJobData
} from "@acme/shared";
import type { WebhookDeliveryJobData } from "@acme/shared";
import { FINISHED_STEPS_KEY } from "../../runtime/job-steps";
import {
  createUsageDigestHandler,
  type UsageDigestResults,
  type UsageDigestServices,
  type UsageDigestSteps,
  type ServiceTransaction
} from "../usage-digest.handler";

const validData: UsageDigestJobData = {
  accountId: "00000000-0000-4000-8000-000000000001",
  ownerEmail: "user2@example.com",
  webhookUrl: "https://example.com/hooks/3",
  weekStart: "2026-01-05T09:30:00.000Z",
  channels: "email"
};

/** What each step's double returns, so a test can follow it into the next step. */
const results = {
  updateDatabase: { from: "updateDatabase" },
  storeDigestPdf: { from: "storeDigestPdf" },
  sendEmail: { emailId: "email-1" },
  deliverWebhook: { jobId: "follow-up-1" }
};

/** Stands for the WEBHOOK_DELIVERY data that toWebhookDelivery builds once it is written. */
const toWebhookDeliveryData = {
  built: "toWebhookDelivery"
} as unknown as WebhookDeliveryJobData;

/** The members of a BullMQ job that the handler reads; a real Job needs a live queue. */
function fakeJob(data: unknown, attemptsMade = 0): Job {
  return {
    id: "job-1",
    name: "usage-digest",
    queueName: "usage-digest",
    data,
    attemptsMade,
    opts: { ...USAGE_DIGEST_JOB.options },
    updateData: jest.fn(async () => undefined)
  } as unknown as Job;
}

interface Doubles {
  steps?: Partial<UsageDigestSteps>;
  services?: Partial<UsageDigestServices>;
}

/** Doubles for every step and service; `doubles` swaps single ones. */
function setup(doubles: Doubles = {}) {
  // Opaque to the handler: it only hands the transaction to updateDatabase.
  const tx = { query: jest.fn() } as unknown as ServiceTransaction;
  const steps = {
    updateDatabase: jest.fn(async () => results.updateDatabase),
    storeDigestPdf: jest.fn(async () => results.storeDigestPdf),
    composeEmail: jest.fn(async () => ({
      to: validData.ownerEmail,
      subject: "Usage digest",
      html: "The html the team writes"
    })),
    toWebhookDelivery: jest.fn(async () => toWebhookDeliveryData),
    ...doubles.steps
  } satisfies UsageDigestSteps;
  const services = {
    withServiceContext: jest.fn(
      (
        _reason: string,
        work: (
          tx: ServiceTransaction
        ) => Promise<UsageDigestResults["updateDatabase"]>
      ) => work(tx)
    ),
    sendEmail: jest.fn(async () => ({ id: "email-1" })),
    enqueue: jest.fn(async () => "follow-up-1"),
    ...doubles.services
  } satisfies UsageDigestServices;
  const logger = { info: jest.fn(), error: jest.fn() };
  const now = jest
    .fn((): number => 0)
    .mockReturnValueOnce(1_000)
    .mockReturnValueOnce(1_250);
  const handler = createUsageDigestHandler({ steps, services, logger, now });
  return { steps, services, logger, tx, handler };
}

const failure = new Error("the step failed");
const fails = async (): Promise<never> => {
  throw failure;
};

describe("handleUsageDigest", () => {
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
    expect(steps.storeDigestPdf).toHaveBeenCalledWith(
      validData,
      { updateDatabase: results.updateDatabase },
      expect.any(AbortSignal)
    );
    expect(steps.composeEmail).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase,
      storeDigestPdf: results.storeDigestPdf
    });
    expect(steps.toWebhookDelivery).toHaveBeenCalledWith(validData, {
      updateDatabase: results.updateDatabase,
      storeDigestPdf: results.storeDigestPdf,
      sendEmail: results.sendEmail
    });
  });

  it("logs the start with the job id and attempt, and the completion with its duration", async () => {
    const { logger, handler } = setup();

    await handler(fakeJob(validData));

    expect(logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", attempt: 1 },
      "UsageDigest started"
    );
    expect(logger.info).toHaveBeenCalledWith(
      { jobId: "job-1", durationMs: 250 },
      "UsageDigest completed"
    );
  });

  it("runs updateDatabase inside withServiceContext", async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.withServiceContext).toHaveBeenCalledWith(
      "jobs:usage-digest",
      expect.any(Function),
      {
        signal: expect.any(AbortSignal)
      }
    );
  });

  it("emails data.ownerEmail", async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.sendEmail).toHaveBeenCalledWith(
      expect.objectContaining({ to: validData.ownerEmail }),
      expect.any(AbortSignal)
    );
  });

  it("queues WEBHOOK_DELIVERY with the data toWebhookDelivery built, keyed by the job", async () => {
    const { services, handler } = setup();

    await handler(fakeJob(validData));

    expect(services.enqueue).toHaveBeenCalledWith(
      {
        queue: QUEUE_NAMES.WEBHOOK_DELIVERY,
        data: toWebhookDeliveryData,
        options: {},
        jobId: "usage-digest-job-1"
      },
      expect.any(AbortSignal)
    );
  });

  it.each([
    ["updateDatabase", { steps: { updateDatabase: fails } }],
    ["storeDigestPdf", { steps: { storeDigestPdf: fails } }],
    ["composeEmail", { steps: { composeEmail: fails } }],
    ["toWebhookDelivery", { steps: { toWebhookDelivery: fails } }],
    ["withServiceContext", { services: { withServiceContext: fails } }],
    ["sendEmail", { services: { sendEmail: fails } }],
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
        "UsageDigest failed"
      );
    }
  );

  it("records the finished steps when a later one fails, and a retry skips them", async () => {
    const failing = setup({ steps: { toWebhookDelivery: fails } });
    const job = fakeJob(validData);

    await expect(failing.handler(job)).rejects.toBe(failure);
    const recorded = {
      updateDatabase: results.updateDatabase,
      storeDigestPdf: results.storeDigestPdf,
      sendEmail: results.sendEmail
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
    expect(steps.storeDigestPdf).not.toHaveBeenCalled();
    expect(steps.composeEmail).not.toHaveBeenCalled();
    expect(services.withServiceContext).not.toHaveBeenCalled();
    expect(services.sendEmail).not.toHaveBeenCalled();
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
      "UsageDigest completed"
    );
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ field: "accountId", willRetry: false }),
      "UsageDigest failed"
    );
  });
});

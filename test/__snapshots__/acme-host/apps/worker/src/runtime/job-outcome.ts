import { UnrecoverableError, type Job } from "bullmq";
import { JobDataError } from "@acme/shared";

/** Job data that breaks its contract: BullMQ fails the job without retrying. */
export class InvalidJobDataError extends UnrecoverableError {
  override readonly name = "InvalidJobDataError";

  constructor(
    readonly field: string,
    message: string
  ) {
    super(message);
  }
}

/** Runs a contract's parser on `job.data`, turning a contract breach into an unrecoverable error. */
export function validateJobData<T>(job: Job, parse: (input: unknown) => T): T {
  try {
    return parse(job.data);
  } catch (error) {
    if (error instanceof JobDataError) {
      throw new InvalidJobDataError(
        error.field,
        `Invalid data for job ${job.name}: ${error.message}`
      );
    }
    throw error;
  }
}

/** Whether BullMQ will try the job again after this attempt failed with `error`. */
export function willRetry(job: Job, error: unknown): boolean {
  if (error instanceof UnrecoverableError) return false;
  return job.attemptsMade + 1 < (job.opts.attempts ?? 1);
}

/** The fields a failure log carries: the attempt, whether it will be retried, and the cause. */
export function describeFailure(
  job: Job,
  error: unknown
): Record<string, unknown> {
  return {
    jobId: job.id,
    attempt: job.attemptsMade + 1,
    willRetry: willRetry(job, error),
    ...(error instanceof InvalidJobDataError ? { field: error.field } : {}),
    err: error
  };
}

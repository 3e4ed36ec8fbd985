import { isAbsolute, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { UnrecoverableError, type Job } from "bullmq";
import { describeFailure, validateJobData } from "./job-outcome";
import { runWithTimeout } from "./job-timeout";

/** What a step can hand on: it is kept on the job as JSON, so a retry can skip the step. */
export type Json =
  string | number | boolean | null | Json[] | { [key: string]: Json };

/** Each step's result, by step name. */
export type StepResults = Record<string, Json>;

/** What a completed job returns (BullMQ keeps it as the job's return value). */
export type JobResult<Results extends StepResults> = Results & {
  durationMs: number;
};

export interface JobLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Where the steps an attempt finished are kept in `job.data` for the next attempt.
 * Not a valid field name, so it cannot clash with one; the contract check drops it.
 */
export const FINISHED_STEPS_KEY = "#finishedSteps";

/** A step still holding its placeholder: the job fails at once and is not retried. */
export class StepNotWrittenError extends UnrecoverableError {
  override readonly name = "StepNotWrittenError";

  constructor(
    readonly step: string,
    readonly location: string
  ) {
    super(`The step ${step} is not written yet; write it at ${location}`);
  }
}

/** `file:line` of the code that called the function calling this one. */
function callerLocation(): string {
  // The stack's lines: the message, this function, its caller, then the code wanted.
  const frame = new Error().stack?.split("\n")[3]?.trim() ?? "";
  const match = /([^\s()]+):(\d+):\d+\)?$/.exec(frame);
  if (!match?.[1]) return "its placeholder in the handler";
  const file = match[1].startsWith("file://")
    ? fileURLToPath(match[1])
    : match[1];
  const fromCwd = relative(process.cwd(), file);
  return `${fromCwd.startsWith("..") || isAbsolute(fromCwd) ? file : fromCwd}:${match[2]}`;
}

/**
 * The placeholder of a step nobody has written yet. It fails the job at once, without
 * retries, naming the step and the line to write it at: a job deployed unfinished
 * never reports success.
 */
export function notWritten(step: string): () => Promise<never> {
  const location = callerLocation();
  return () => Promise.reject(new StepNotWrittenError(step, location));
}

/**
 * The placeholder of a follow-up's field that no field of this job's data fills:
 * building the follow-up fails the job at once, naming the field and the line.
 */
export function fieldNotWritten(step: string, field: string): never {
  throw new StepNotWrittenError(
    `${step} (the field ${field})`,
    callerLocation()
  );
}

function finishedSteps(data: unknown): Partial<StepResults> {
  const recorded: unknown =
    typeof data === "object" && data !== null
      ? (data as Record<string, unknown>)[FINISHED_STEPS_KEY]
      : undefined;
  return typeof recorded === "object" && recorded !== null
    ? (recorded as StepResults)
    : {};
}

/** One attempt of a job, as its steps see it. */
export class JobRun<Data, Results extends StepResults> {
  /** Each finished step's result: from earlier attempts, then from this one. */
  readonly results: Partial<Results>;
  /** Steps this attempt finished, which a failed attempt records for the next. */
  finishedNow = 0;

  constructor(
    private readonly job: Job,
    private readonly logger: JobLog,
    /** The validated data. */
    readonly data: Data,
    /** Aborts when the attempt times out or the job is cancelled. */
    readonly signal: AbortSignal
  ) {
    this.results = finishedSteps(job.data) as Partial<Results>;
  }

  get jobId(): string | undefined {
    return this.job.id;
  }

  /** The same on every attempt, so receivers and BullMQ can drop repeats. */
  get key(): string {
    return `${this.job.queueName}-${this.job.id}`;
  }

  /** Runs `work` unless an earlier attempt finished this step, whose result it then returns. */
  async step<Name extends keyof Results & string>(
    name: Name,
    work: () => Promise<Results[Name]>
  ): Promise<Results[Name]> {
    const earlier = this.results[name];
    if (earlier !== undefined) {
      this.logger.info(
        { jobId: this.job.id, step: name },
        "step skipped: an earlier attempt finished it"
      );
      return earlier;
    }
    const result = await work();
    this.results[name] = result;
    this.finishedNow += 1;
    return result;
  }
}

export interface JobDefinition<Data, Results extends StepResults> {
  /** How logs name the job, e.g. `AuditLogExport`. */
  name: string;
  timeoutMs: number;
  /** The contract's data check. */
  parse: (input: unknown) => Data;
  logger: JobLog;
  /** A monotonic clock in milliseconds, for the duration log. */
  now: () => number;
  /** The job's steps, in order, each through `run.step`. */
  steps: (run: JobRun<Data, Results>) => Promise<unknown>;
}

/**
 * Stores the results of the steps a failed attempt finished on the job, so the retry
 * skips them (BullMQ's process-step pattern). Written once, on failure: a successful
 * attempt costs no extra round trip to Redis.
 */
async function recordFinishedSteps(
  job: Job,
  run: JobRun<unknown, StepResults>,
  log: JobLog
) {
  try {
    await job.updateData({
      ...(job.data as object),
      [FINISHED_STEPS_KEY]: run.results
    });
  } catch (error) {
    // The attempt's own error is the one BullMQ must see; this one is only logged.
    log.error(
      { jobId: job.id, err: error },
      "could not record the finished steps"
    );
  }
}

/**
 * The BullMQ processor of a job: checks the data against its contract (invalid data
 * fails at once, unrecoverably), runs the steps within the timeout, logs start,
 * completion with duration and failure with attempt and retry, and rethrows so
 * BullMQ retries.
 */
export function defineJob<Data, Results extends StepResults>(
  definition: JobDefinition<Data, Results>
) {
  const { name, timeoutMs, parse, logger, now, steps } = definition;
  return async function processJob(
    job: Job,
    _token?: string,
    signal?: AbortSignal
  ): Promise<JobResult<Results>> {
    const startedAt = now();
    logger.info(
      { jobId: job.id, attempt: job.attemptsMade + 1 },
      `${name} started`
    );
    let run: JobRun<Data, Results> | undefined;
    try {
      const data = validateJobData(job, parse);
      const results = await runWithTimeout(
        timeoutMs,
        job,
        signal,
        async (stepSignal) => {
          run = new JobRun<Data, Results>(job, logger, data, stepSignal);
          await steps(run);
          return run.results as Results;
        }
      );
      const durationMs = Math.round(now() - startedAt);
      logger.info({ jobId: job.id, durationMs }, `${name} completed`);
      return { ...results, durationMs };
    } catch (error) {
      logger.error(describeFailure(job, error), `${name} failed`);
      if (
        run &&
        run.finishedNow > 0 &&
        !(error instanceof UnrecoverableError)
      ) {
        await recordFinishedSteps(
          job,
          run as JobRun<unknown, StepResults>,
          logger
        );
      }
      throw error;
    }
  };
}

/** One thing wrong with the answers: where (`fields[1].name`) and what to do. */
export interface Problem {
  path: string;
  message: string;
}

export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/**
 * A failure the kit can explain in one line. `file` names the file involved, so
 * reporters can show it and tools can point at it.
 */
export class KitError extends Error {
  override name = 'KitError';

  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** The answers were refused before anything was touched (exit code 2). */
export class AnswersRejectedError extends KitError {
  override name = 'AnswersRejectedError';

  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
  }
}

/** An anchored edit did not find its place exactly once. */
export class AnchorError extends KitError {
  override name = 'AnchorError';
}

/** The repository does not have the shape the kit expects. */
export class HostError extends KitError {
  override name = 'HostError';
}

/** A generated file failed to parse, format, type-check or pass its tests. */
export class CheckFailedError extends KitError {
  override name = 'CheckFailedError';

  constructor(
    message: string,
    readonly check: string,
    file?: string,
    readonly output?: string,
  ) {
    super(message, file);
  }
}

/** Another run holds the repository's lock. */
export class LockedError extends KitError {
  override name = 'LockedError';
}

export function exitCodeOf(error: unknown): 1 | 2 {
  return error instanceof AnswersRejectedError ? 2 : 1;
}

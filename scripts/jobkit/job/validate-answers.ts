import type { z } from 'zod';
import { AnswersRejectedError, type Problem } from '../core/errors.js';
import { jobAnswersSchema, type JobAnswers } from './answers.schema.js';

/** `['fields', 1, 'name']` → `fields[1].name` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`,
    )
    .join('');
}

const KNOWN_KEYS: Record<string, string[]> = {
  '': Object.keys(jobAnswersSchema.shape),
};

function problemsOf(error: z.ZodError, prefix: string): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => {
        const known = KNOWN_KEYS[path];
        const hint = known ? ` (known: ${known.filter((k) => k !== '$schema').join(', ')})` : '';
        return {
          path: `${prefix}${path ? `${path}.` : ''}${key}`,
          message: `is not a known answer; remove it${hint}`,
        };
      });
    }
    const full = path.startsWith('[') ? `${prefix.replace(/\.$/, '')}${path}` : `${prefix}${path}`;
    return [{ path: full, message: issue.message }];
  });
}

/**
 * Validates one job's answers or a batch (an array). Throws `AnswersRejectedError`
 * listing every problem, each located by its path (`[2].fields[0].type` in a batch).
 */
export function validateAnswers(input: unknown): JobAnswers[] {
  const batch = Array.isArray(input);
  const items: unknown[] = batch ? input : [input];
  if (items.length === 0) {
    throw new AnswersRejectedError([
      { path: '', message: 'the answers list is empty; give at least one job' },
    ]);
  }
  const problems: Problem[] = [];
  const answers: JobAnswers[] = [];
  items.forEach((item, index) => {
    const parsed = jobAnswersSchema.safeParse(item);
    if (parsed.success) answers.push(parsed.data);
    else problems.push(...problemsOf(parsed.error, batch ? `[${index}].` : ''));
  });
  if (problems.length > 0) throw new AnswersRejectedError(problems);
  return answers;
}

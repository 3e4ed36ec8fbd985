import type { z } from 'zod';
import { AnswersRejectedError, type Problem } from '../core/errors.js';
import { stringLiteral } from '../core/text.js';
import {
  backoffSchema,
  fieldSchema,
  jobAnswersSchema,
  sideEffectsSchema,
  type JobAnswers,
} from './answers.schema.js';

/** `['fields', 1, 'name']` → `fields[1].name` */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) =>
      typeof part === 'number' ? `[${part}]` : `${index > 0 ? '.' : ''}${String(part)}`,
    )
    .join('');
}

/** The keys each object of the answers accepts, by path with list indexes removed. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(jobAnswersSchema.shape).filter((key) => key !== '$schema'),
  fields: Object.keys(fieldSchema.shape),
  backoff: Object.keys(backoffSchema.shape),
  sideEffects: Object.keys(sideEffectsSchema.shape),
};

/** Edit distance, to suggest the key a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function unknownKeyMessage(objectPath: string, key: string): string {
  const known = KNOWN_KEYS[objectPath.replace(/\[\d+\]/g, '')];
  if (!known) return 'is not a known answer; remove it';
  const closest = known
    .map((candidate) => ({ candidate, cost: distance(key, candidate) }))
    .sort((a, b) => a.cost - b.cost)[0];
  const near = key.length <= 3 ? 1 : 2;
  const guess = closest && closest.cost <= near ? `did you mean "${closest.candidate}"? ` : '';
  return `is not a known answer; ${guess}remove or rename it (known: ${known.join(', ')})`;
}

/** `prefix` (`[2]` in a batch, else empty) joined to a path inside the job. */
function joinPath(prefix: string, path: string): string {
  if (!prefix) return path || 'answers';
  if (!path) return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

function problemsOf(error: z.ZodError, prefix: string): Problem[] {
  return error.issues.flatMap((issue): Problem[] => {
    const path = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        // A key with odd characters is quoted so the path stays one readable line.
        path: joinPath(
          prefix,
          `${path ? `${path}.` : ''}${/^[\w$]+$/.test(key) ? key : stringLiteral(key)}`,
        ),
        message: unknownKeyMessage(path, key),
      }));
    }
    return [{ path: joinPath(prefix, path), message: issue.message }];
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
      { path: 'answers', message: 'the answers list is empty; give at least one job' },
    ]);
  }
  const problems: Problem[] = [];
  const answers: JobAnswers[] = [];
  items.forEach((item, index) => {
    const parsed = jobAnswersSchema.safeParse(item);
    if (parsed.success) answers.push(parsed.data);
    else problems.push(...problemsOf(parsed.error, batch ? `[${index}]` : ''));
  });
  if (problems.length > 0) throw new AnswersRejectedError(problems);
  return answers;
}

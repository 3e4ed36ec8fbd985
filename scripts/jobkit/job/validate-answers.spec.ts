import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnswersRejectedError, type Problem } from '../core/errors.js';
import { formatPath, validateAnswers } from './validate-answers.js';

function problems(input: unknown): Problem[] {
  try {
    validateAnswers(input);
  } catch (error) {
    if (error instanceof AnswersRejectedError) return error.problems;
    throw error;
  }
  return [];
}

const base = { name: 'x', purpose: 'p', trigger: 't' };

describe('validateAnswers', () => {
  it('returns one job or a batch, parsed', () => {
    expect(validateAnswers(base)).toHaveLength(1);
    expect(validateAnswers([base, { ...base, name: 'y' }])).toHaveLength(2);
  });

  it('locates every problem by its path, with the batch index first', () => {
    expect(problems([base, { ...base, fields: [{ name: 'a', type: 'strin' }] }])).toEqual([
      { path: '[1].fields[0].type', message: expect.stringContaining('unknown type "strin"') },
    ]);
    expect(problems([null])).toEqual([
      { path: '[0]', message: expect.stringContaining('must be a job object') },
    ]);
    expect(problems('x')).toEqual([
      { path: 'answers', message: expect.stringContaining('not a string') },
    ]);
    expect(problems([])).toEqual([{ path: 'answers', message: expect.stringContaining('empty') }]);
  });

  it('lists every problem of every job at once', () => {
    expect(
      problems([
        { ...base, priority: 0 },
        { ...base, retries: -1, name: '' },
      ]).map((p) => p.path),
    ).toEqual(['[0].priority', '[1].name', '[1].retries']);
  });

  it('suggests the key a typo meant, for the object it is in', () => {
    expect(problems({ ...base, sideEffects: { emial: true } })).toEqual([
      {
        path: 'sideEffects.emial',
        message:
          'is not a known answer; did you mean "email"? remove or rename it (known: email, emailField, webhook, webhookField, database, triggers, other)',
      },
    ]);
    expect(problems({ ...base, retires: 3 })[0]?.message).toContain('did you mean "retries"?');
    expect(problems({ ...base, 'two\nlines': 1 })[0]?.path).toBe('"two\\nlines"');
  });

  it('never throws anything but a refusal, and every problem is one located line', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ name: fc.anything(), purpose: fc.anything(), trigger: fc.anything() }),
          fc.array(fc.dictionary(fc.string(), fc.anything()), { maxLength: 3 }),
        ),
        (input) => {
          for (const problem of problems(input)) {
            expect(problem.path).not.toBe('');
            expect(`${problem.path}: ${problem.message}`).not.toMatch(/[\n\r\u2028\u2029]/);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('formatPath', () => {
  it('writes paths as code does', () => {
    expect(formatPath(['fields', 1, 'name'])).toBe('fields[1].name');
    expect(formatPath([2, 'sideEffects', 'triggers', 0])).toBe('[2].sideEffects.triggers[0]');
  });
});

import { normalizeFreeText } from '../../scripts/jobkit/core/text.js';
import { DEFAULT_LAYOUT, jobFiles } from '../../scripts/jobkit/host/layout.js';
import { parseFieldType } from '../../scripts/jobkit/job/field-types.js';
import { jobNames } from '../../scripts/jobkit/job/names.js';
import type { AnswersInput } from './arbitraries.js';

export interface ExpectedText {
  file: string;
  text: string;
  in: 'comment' | 'string';
}

/** Where each piece of free text must come out, and in what form. */
export function expectedTexts(answers: AnswersInput): ExpectedText[] {
  const { contract, handler } = jobFiles(DEFAULT_LAYOUT, jobNames(answers.name));
  const purpose = normalizeFreeText(answers.purpose);
  const trigger = normalizeFreeText(answers.trigger);
  const service = DEFAULT_LAYOUT.queueServiceFile;
  const expected: ExpectedText[] = [
    { file: contract, text: purpose, in: 'comment' },
    { file: contract, text: trigger, in: 'comment' },
    { file: handler, text: purpose, in: 'comment' },
    { file: service, text: purpose, in: 'comment' },
    { file: service, text: trigger, in: 'comment' },
  ];
  for (const field of answers.fields ?? []) {
    const description = normalizeFreeText(field.description ?? '');
    if (description) expected.push({ file: contract, text: description, in: 'comment' });
    const type = parseFieldType(field.type);
    if (type.ok && type.type.kind === 'enum') {
      for (const value of type.type.values)
        expected.push({ file: contract, text: value, in: 'string' });
    }
  }
  for (const other of answers.sideEffects?.other ?? []) {
    expected.push({ file: handler, text: normalizeFreeText(other), in: 'comment' });
  }
  return expected;
}

import { describe, expect, it } from 'vitest';
import type { FieldAnswer } from './answers.schema.js';
import { parseFieldType } from './field-types.js';
import { chooseRecipient, type RecipientRole } from './recipients.js';

/** `userEmail: string`, `contact?: string (email)`: a field list in one line. */
function fields(spec: string): FieldAnswer[] {
  return spec.split(',').map((entry) => {
    const [name = '', spelling = ''] = entry.split(':').map((part) => part.trim());
    const parsed = parseFieldType(spelling);
    if (!parsed.ok) throw new Error(parsed.problem);
    return {
      name: name.replace('?', ''),
      type: parsed.type,
      required: !name.endsWith('?'),
      description: '',
    };
  });
}

const CASES: {
  about: string;
  role: RecipientRole;
  fields: string;
  named?: string;
  expected: string;
}[] = [
  {
    about: 'the one email field',
    role: 'email',
    fields: 'orgId: string (uuid), to: string (email)',
    expected: 'to required',
  },
  {
    about: 'a plain string whose name says email (the seed as written)',
    role: 'email',
    fields: 'orgId: string (uuid), userEmail: string',
    expected: 'userEmail required checked as email',
  },
  {
    about: 'an email field before a string named like one',
    role: 'email',
    fields: 'userEmail: string, to: string (email)',
    expected: 'to required',
  },
  {
    about: 'a required field before an optional one',
    role: 'email',
    fields: 'cc?: string (email), contactEmail: string',
    expected: 'contactEmail required checked as email',
  },
  {
    about: 'an optional recipient',
    role: 'email',
    fields: 'contactEmail?: string',
    expected: 'contactEmail optional checked as email',
  },
  {
    about: 'two candidates: the first, the other an alternative',
    role: 'email',
    fields: 'userEmail: string (email), adminEmail: string (email)',
    expected: 'userEmail required or adminEmail',
  },
  {
    about: 'two candidates, one named',
    role: 'email',
    fields: 'userEmail: string (email), adminEmail: string (email)',
    named: 'adminEmail',
    expected: 'adminEmail required',
  },
  {
    about: 'a named plain string whose name says nothing',
    role: 'email',
    fields: 'recipient: string',
    named: 'recipient',
    expected: 'recipient required checked as email',
  },
  {
    about: 'a named field of another type',
    role: 'email',
    fields: 'count: integer',
    named: 'count',
    expected: 'named',
  },
  {
    about: 'a named field that does not exist',
    role: 'email',
    fields: 'userEmail: string',
    named: 'email',
    expected: 'named',
  },
  { about: 'no candidate', role: 'email', fields: 'note: string', expected: 'none' },
  {
    about: 'an optional callback URL',
    role: 'webhook',
    fields: 'orgId: string (uuid), callbackUrl?: string (url)',
    expected: 'callbackUrl optional',
  },
  {
    about: 'a plain string whose name says URL',
    role: 'webhook',
    fields: 'endpointUrl: string',
    expected: 'endpointUrl required checked as url',
  },
];

describe('chooseRecipient', () => {
  it.each(CASES)('$about', ({ role, fields: spec, named, expected }) => {
    const choice = chooseRecipient(fields(spec), role, named);
    const seen = choice.ok
      ? [
          choice.recipient.field,
          choice.recipient.required ? 'required' : 'optional',
          choice.recipient.upgraded ? `checked as ${choice.recipient.kind}` : '',
          choice.recipient.alternatives.map((name) => `or ${name}`).join(' '),
        ]
          .filter(Boolean)
          .join(' ')
      : choice.problem;
    expect(seen).toBe(expected);
  });
});

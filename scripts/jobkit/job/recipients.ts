import type { FieldAnswer } from './answers.schema.js';
import { spellFieldType, type FieldKind } from './field-types.js';

/**
 * Which data field an email goes to, or a webhook posts to. People name such a field
 * `userEmail` and type it as a plain string (the seed's own example does), so a plain
 * string field whose name says what it holds counts too; the contract then checks it
 * as an email address (or URL) at run time.
 */
export type RecipientRole = 'email' | 'webhook';

export interface Recipient {
  field: string;
  required: boolean;
  /** The field is a plain string that the contract will check as `kind`. */
  upgraded: boolean;
  kind: FieldKind;
  /** Other fields that could have held it as well: the prompts ask, answers may name one. */
  alternatives: string[];
}

export type RecipientChoice =
  { ok: true; recipient: Recipient } | { ok: false; problem: 'none' | 'named'; message: string };

const ROLES: Record<
  RecipientRole,
  { kind: FieldKind; saysIt: RegExp; holds: string; key: string; example: string }
> = {
  email: {
    kind: 'email',
    saysIt: /e-?mail/i,
    holds: 'the address to email',
    key: 'sideEffects.emailField',
    example: 'userEmail',
  },
  webhook: {
    kind: 'url',
    saysIt: /url|uri|webhook|endpoint|callback/i,
    holds: 'the URL to post to',
    key: 'sideEffects.webhookField',
    example: 'callbackUrl',
  },
};

export function recipientKind(role: RecipientRole): FieldKind {
  return ROLES[role].kind;
}

/** What the field holds, for messages: "the address to email". */
export function recipientPurpose(role: RecipientRole): string {
  return ROLES[role].holds;
}

/** The answers key that names the field when several could hold it. */
export function recipientKey(role: RecipientRole): string {
  return ROLES[role].key;
}

function asRecipient(field: FieldAnswer, kind: FieldKind, alternatives: string[] = []): Recipient {
  const upgraded = field.type.kind !== kind;
  return { field: field.name, required: field.required, upgraded, kind, alternatives };
}

/**
 * Picks the recipient field: the one `named`, else the first of these groups that is
 * not empty: required fields of the kind, required plain strings whose name says it,
 * then the same two optional. Of several in that group the first is taken, and the
 * others are listed as alternatives.
 */
export function chooseRecipient(
  fields: readonly FieldAnswer[],
  role: RecipientRole,
  named?: string,
): RecipientChoice {
  const { kind, saysIt, holds, key, example } = ROLES[role];
  const spelling = spellFieldType({ kind });
  if (named !== undefined) {
    const field = fields.find((candidate) => candidate.name === named);
    const fits = field && (field.type.kind === kind || field.type.kind === 'string');
    if (field && fits) return { ok: true, recipient: asRecipient(field, kind) };
    return {
      ok: false,
      problem: 'named',
      message: field
        ? `names "${named}", whose type is ${spellFieldType(field.type)}; ${holds} must be a "string" or "${spelling}" field`
        : `names "${named}", which is not in fields; name one of the fields, or remove ${key}`,
    };
  }
  const ofKind = (field: FieldAnswer) => field.type.kind === kind;
  const nameSaysIt = (field: FieldAnswer) =>
    field.type.kind === 'string' && saysIt.test(field.name);
  const groups = [
    fields.filter((field) => field.required && ofKind(field)),
    fields.filter((field) => field.required && nameSaysIt(field)),
    fields.filter((field) => !field.required && ofKind(field)),
    fields.filter((field) => !field.required && nameSaysIt(field)),
  ];
  const group = groups.find((candidates) => candidates.length > 0);
  const [first, ...others] = group ?? [];
  if (first) {
    const alternatives = others.map((field) => field.name);
    return { ok: true, recipient: asRecipient(first, kind, alternatives) };
  }
  return {
    ok: false,
    problem: 'none',
    message: `needs a field holding ${holds}: a "${spelling}" field, or a "string" field whose name says so (e.g. ${example}); add one to fields`,
  };
}

/** How a summary names the recipient: `data.userEmail (checked as an email address)`. */
export function describeRecipient(recipient: Recipient, role: RecipientRole): string {
  const check = role === 'email' ? 'an email address' : 'an http(s) URL';
  const notes = [
    recipient.alternatives.length > 0
      ? `chosen before ${recipient.alternatives.join(', ')}; name another in ${recipientKey(role)}`
      : '',
    recipient.upgraded ? `a plain string in the answers, checked as ${check} at run time` : '',
    recipient.required
      ? ''
      : `optional: the ${role === 'email' ? 'email is sent' : 'webhook is posted'} only when it is present`,
  ].filter(Boolean);
  return `data.${recipient.field}${notes.length > 0 ? ` (${notes.join('; ')})` : ''}`;
}

/** The fields as the contract checks them: a recipient held in a plain string takes its kind. */
export function withRecipientKinds(
  fields: FieldAnswer[],
  recipients: readonly (Recipient | undefined)[],
): FieldAnswer[] {
  return fields.map((field) => {
    const recipient = recipients.find((candidate) => candidate?.field === field.name);
    return recipient?.upgraded ? { ...field, type: { kind: recipient.kind } } : field;
  });
}

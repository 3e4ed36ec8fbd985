/**
 * What a checked line of a spec's "Side Effects" list asks for. The template's own
 * lines ("Sends email", "Makes HTTP request (webhook)", "Updates database", "Triggers
 * other jobs", "Other: …") are read, and so are the free-text lines teams write
 * instead ("Queries database for audit logs", "Triggers WELCOME_EMAIL").
 */
export type SideEffectLine =
  | { kind: 'email' | 'webhook' | 'database' }
  | { kind: 'trigger'; queue: string }
  | { kind: 'other'; description: string }
  | { kind: 'refused'; expected: string };

/** A QUEUE_NAMES key as people write one: CONSTANT_CASE with at least one underscore. */
const QUEUE_KEY = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;
const TRIGGER_VERB = /^(triggers?|queues?|enqueues?|schedules?)\b/i;

const KEYWORDS: { kind: 'email' | 'webhook' | 'database'; words: RegExp }[] = [
  { kind: 'email', words: /\be-?mails?\b/i },
  { kind: 'webhook', words: /\bwebhooks?\b|\bhttp request\b|\bcallback\b/i },
  { kind: 'database', words: /\bdatabase\b|\bdb\b|withServiceContext|\bsql\b|\bpostgres/i },
];

/**
 * Reads one checked line. `queues` are the host's QUEUE_NAMES keys: a line naming
 * one is a follow-up; a line that says "Triggers" names a queue or is refused.
 */
export function classifySideEffect(text: string, queues: readonly string[]): SideEffectLine {
  const other = /^other\s*:\s*(.*)$/i.exec(text);
  if (other) {
    const description = (other[1] ?? '').trim();
    return description
      ? { kind: 'other', description }
      : { kind: 'refused', expected: 'the side effect after "Other:", e.g. Other: Uploads to S3' };
  }
  const keys = [...text.matchAll(QUEUE_KEY)].map((match) => match[0]);
  const known = keys.find((key) => queues.includes(key));
  if (known) return { kind: 'trigger', queue: known };
  const afterVerb = TRIGGER_VERB.test(text) ? text.replace(TRIGGER_VERB, '') : undefined;
  if (afterVerb !== undefined && (keys.length > 0 || /\b(jobs?|queues?)\b/i.test(afterVerb))) {
    const listed = queues.length > 0 ? `one of ${queues.join(', ')}` : 'a QUEUE_NAMES key';
    return {
      kind: 'refused',
      expected: keys[0]
        ? `a queue of QUEUE_NAMES: ${keys[0]} is not one; name ${listed}`
        : `the queue it triggers, e.g. Triggers ${queues[0] ?? 'NOTIFICATION_EMAIL'} (${listed})`,
    };
  }
  const keyword = KEYWORDS.find(({ words }) => words.test(text));
  return keyword ? { kind: keyword.kind } : { kind: 'other', description: text };
}

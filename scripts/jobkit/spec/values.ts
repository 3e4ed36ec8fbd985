import { formatDuration } from '../job/template-data.js';

/**
 * The values of a filled-in job prompt, read as people write them: "300 seconds
 * (5 minutes for large exports)", "exponential (1s, 2s, 4s)", "5 (medium)", "✓".
 * Each reader returns the value, or what it expected instead.
 */
export type Read<T> = { ok: true; value: T } | { ok: false; expected: string };

/**
 * The template's own placeholders (`[JOB_NAME]`, `[type]`, `[yes/no]`…): a value that
 * still holds one was not filled in. A bracketed word elsewhere is ordinary text.
 */
const TEMPLATE_PLACEHOLDER =
  /\[(JOB_NAME|JOB_PURPOSE|What this job does|When\/how[^\]]*|field\d*|type|yes\/no|description|number[^\]]*|exponential\/fixed|seconds|1-10[^\]]*|specify|job-name)\]/i;

/** The placeholder left in `value`, e.g. `[type]`, if any. */
export function unfilledPlaceholder(value: string): string | undefined {
  const whole = /^\s*(\[[^\]]*\])\s*$/.exec(value);
  return whole?.[1] ?? TEMPLATE_PLACEHOLDER.exec(value)?.[0];
}

/** `**orgId**`, `` `orgId` `` → `orgId`: the emphasis people add in tables. */
export function plainCell(cell: string): string {
  return cell
    .trim()
    .replace(/^(\*\*|__|`)(.*)\1$/, '$2')
    .trim();
}

const YES = new Set(['yes', 'y', 'true', 'required', 'req', 'x', '✓', '✔', '✔️', '☑', '✅']);
const NO = new Set(['no', 'n', 'false', 'optional', 'opt', '-', '–', '—', '', '✗', '✘', '❌']);

/** The Required column: yes/no, ✓, optional… An empty cell is "no" (a ✓ column). */
export function readRequired(cell: string): Read<boolean> {
  const text = plainCell(cell).toLowerCase();
  if (YES.has(text)) return { ok: true, value: true };
  if (NO.has(text)) return { ok: true, value: false };
  return { ok: false, expected: 'yes, no, ✓, required or optional' };
}

/** `5`, `5 (medium)`, `3 retries`: the leading whole number; the rest is a comment. */
export function readWholeNumber(value: string, what: string): Read<number> {
  const match = /^\s*(\d+)(?![\d.,])/.exec(value);
  if (!match?.[1]) return { ok: false, expected: `${what}, e.g. 3` };
  return { ok: true, value: Number(match[1]) };
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  msec: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
};

const DURATION = /(\d+(?:\.\d+)?)\s*([a-zA-Zµ]+)?/g;

/**
 * Every duration in `text`, in milliseconds: `1s, 2s, 4s` → 1000, 2000, 4000. A number
 * without a unit takes `bareUnit`, or is refused when there is none.
 */
export function readDurations(text: string, bareUnit?: 'seconds'): Read<number[]> {
  const durations: number[] = [];
  for (const match of text.matchAll(DURATION)) {
    const [, amount = '', unit] = match;
    const factor =
      unit === undefined ? (bareUnit ? UNIT_MS[bareUnit] : undefined) : UNIT_MS[unit.toLowerCase()];
    if (factor === undefined) {
      return {
        ok: false,
        expected:
          unit === undefined
            ? `a unit after ${amount} (ms, s, min or h)`
            : `a unit such as ms, s, min or h, not "${unit}"`,
      };
    }
    durations.push(Math.round(Number(amount) * factor));
  }
  return { ok: true, value: durations };
}

/** `1000` → `1,000`, for the reading printed back. */
export function grouped(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+$)/g, ',');
}

export interface Backoff {
  type: 'exponential' | 'fixed';
  /** Absent when the line gives no delay: the default applies. */
  delayMs?: number;
}

/**
 * `exponential (1s, 2s, 4s)`, `fixed, 5 seconds`, `exponential`: the type, then the
 * first delay. A listed schedule must be the one BullMQ will wait: doubling from the
 * first delay (exponential), or the same delay each time (fixed).
 */
export function readBackoff(value: string): Read<Backoff> {
  const match = /^\s*(exponential|fixed)\b(.*)$/i.exec(value);
  if (!match) return { ok: false, expected: 'exponential or fixed, e.g. exponential (1s, 2s, 4s)' };
  const type = (match[1] ?? '').toLowerCase() as Backoff['type'];
  const durations = readDurations(match[2] ?? '');
  if (!durations.ok) return durations;
  const [first, ...rest] = durations.value;
  if (first === undefined) return { ok: true, value: { type } };
  const schedule = [
    first,
    ...rest.map((_, index) => (type === 'exponential' ? first * 2 ** (index + 1) : first)),
  ];
  if (schedule.some((delay, index) => delay !== durations.value[index])) {
    const waits = schedule.map(formatDuration).join(', ');
    return {
      ok: false,
      expected: `the waits of ${type} backoff from its first delay: ${waits} (${type === 'exponential' ? 'each twice the last' : 'all the same'})`,
    };
  }
  return { ok: true, value: { type, delayMs: first } };
}

/** `300 seconds (5 minutes for large exports)` → 300: the first duration; a bare number is seconds. */
export function readTimeoutSeconds(value: string): Read<number> {
  const durations = readDurations(value.replace(/\(.*$/, ''), 'seconds');
  const expected = 'a duration in whole seconds, e.g. 300 seconds';
  if (!durations.ok) return { ok: false, expected: `${expected} (${durations.expected})` };
  const [ms] = durations.value;
  if (ms === undefined || ms % 1000 !== 0) return { ok: false, expected };
  return { ok: true, value: ms / 1000 };
}

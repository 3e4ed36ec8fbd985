import { AnswersRejectedError, type Problem } from '../core/errors.js';
import type { FieldAnswer, JobAnswersInput } from '../job/answers.schema.js';
import { spellFieldType } from '../job/field-types.js';
import { jobNames } from '../job/names.js';
import { chooseRecipient, describeRecipient } from '../job/recipients.js';
import { cellsOf, isSeparatorRow, readFieldRow, readHeader, type Column } from './data-table.js';
import { classifySideEffect } from './side-effects.js';
import {
  grouped,
  plainCell,
  readBackoff,
  readTimeoutSeconds,
  readWholeNumber,
  unfilledPlaceholder,
  type Read,
} from './values.js';

/**
 * Reads a filled-in copy of the job prompt template (the seed's
 * create-background-job.md): `### Job: NAME` with its Purpose and Trigger, the
 * `### Job Data:` table, the `### Job Behavior:` list and the `### Side Effects:`
 * checklist. Everything else (context, deliverables, the fences around the block) is
 * prose and is skipped. Pure: the caller reads the file and the host's queues.
 */

/** How one line was read, printed back so the user can check it. */
export interface LineReading {
  line: number;
  reading: string;
}

export interface SpecReading {
  answers: JobAnswersInput;
  lines: LineReading[];
  /** The line each answer came from, by its path (`fields[2]`, `sideEffects.email`). */
  lineOf: Record<string, number>;
}

export interface ReadSpecOptions {
  /** How problems name the spec: its path, or `standard input`. */
  source: string;
  /** The host's QUEUE_NAMES keys: a checked line naming one queues that job. */
  queues?: readonly string[];
}

type Section = 'prose' | 'job' | 'data' | 'behavior' | 'effects';

const SECTION_HEADINGS: { section: Section; heading: RegExp }[] = [
  { section: 'data', heading: /^job\s+data\s*:?$/i },
  { section: 'behavior', heading: /^job\s+behaviou?r\s*:?$/i },
  { section: 'effects', heading: /^side\s+effects\s*:?$/i },
];

const BEHAVIOR_KEYS: { key: 'retries' | 'backoff' | 'timeout' | 'priority'; label: RegExp }[] = [
  { key: 'retries', label: /^(retry attempts|retries|retry|attempts|max retries)$/i },
  { key: 'backoff', label: /^(backoff strategy|backoff|back-off|retry backoff)$/i },
  { key: 'timeout', label: /^(timeout|time limit|timeout \(seconds\))$/i },
  { key: 'priority', label: /^priority$/i },
];

/** The template's first line names the purpose: the fallback for "- Purpose:". */
const INTRO = /^I need to create a new background job for (.*?)(?: in \S+)?\.?$/i;

/** One line of the spec as it is read: its number and its text without the indentation. */
interface Line {
  number: number;
  text: string;
}

class SpecReader {
  readonly problems: Problem[] = [];
  readonly lines: LineReading[] = [];
  readonly lineOf: Record<string, number> = {};
  readonly answers: JobAnswersInput & { fields: NonNullable<JobAnswersInput['fields']> } = {
    name: '',
    purpose: '',
    trigger: '',
    fields: [],
  };
  private readonly fields: FieldAnswer[] = [];
  private readonly effects = { email: false, webhook: false, database: false };
  private readonly triggers: string[] = [];
  private readonly other: string[] = [];
  private section: Section = 'prose';
  /** The table's columns once its header is read; empty when the header was refused. */
  private columns: Column[] | undefined;
  private jobLine: number | undefined;
  private introPurpose: { text: string; line: number } | undefined;
  private emailLine: number | undefined;

  constructor(
    private readonly source: string,
    private readonly queues: readonly string[],
  ) {}

  private refuse(line: Line, expected: string): void {
    this.problems.push({
      path: `${this.source}:${line.number}`,
      message: `"${line.text}": expected ${expected}`,
    });
  }

  private read(line: Line, reading: string, path?: string): void {
    this.lines.push({ line: line.number, reading });
    if (path !== undefined) this.lineOf[path] = line.number;
  }

  /** The value, or undefined after refusing the line: unfilled, or not what was expected. */
  private valueOf<T>(line: Line, value: string, result: () => Read<T>): T | undefined {
    const placeholder = unfilledPlaceholder(value);
    if (placeholder) {
      this.refuse(line, `the placeholder ${placeholder} filled in`);
      return undefined;
    }
    const parsed = result();
    if (parsed.ok) return parsed.value;
    this.refuse(line, parsed.expected);
    return undefined;
  }

  readLine(line: Line): void {
    if (line.text === '' || line.text.startsWith('```') || line.text.startsWith('<!--')) return;
    const heading = /^#{1,6}\s+(.*?)\s*#*$/.exec(line.text);
    if (heading) return this.heading(line, (heading[1] ?? '').trim());
    const bullet = /^[-*+]\s+(.*)$/.exec(line.text)?.[1];
    switch (this.section) {
      case 'prose':
        return this.prose(line);
      case 'data':
        return this.dataRow(line);
      case 'job':
        return this.jobItem(line, bullet);
      case 'behavior':
        return this.behaviorItem(line, bullet);
      case 'effects':
        return this.sideEffect(line, bullet);
    }
  }

  private heading(line: Line, title: string): void {
    this.columns = undefined;
    const job = /^job\s*:\s*(.*)$/i.exec(title);
    if (!job) {
      this.section =
        SECTION_HEADINGS.find(({ heading }) => heading.test(title))?.section ?? 'prose';
      return;
    }
    this.section = 'job';
    this.jobLine = line.number;
    const given = plainCell(job[1] ?? '');
    const name = this.valueOf(line, given, () =>
      given
        ? { ok: true, value: given }
        : { ok: false, expected: 'the job name after "Job:", e.g. ### Job: AUDIT_LOG_EXPORT' },
    );
    if (name === undefined) return;
    this.answers.name = name;
    const names = jobNames(name);
    this.read(line, `job ${name}: constant ${names.constant}, queue '${names.kebab}'`, 'name');
  }

  private prose(line: Line): void {
    const intro = INTRO.exec(line.text)?.[1];
    if (intro === undefined) return;
    const purpose = this.valueOf(line, intro, () => ({ ok: true, value: intro }));
    if (purpose !== undefined) this.introPurpose = { text: purpose, line: line.number };
  }

  private dataRow(line: Line): void {
    if (!line.text.startsWith('|')) {
      this.refuse(line, 'a row of the Job Data table: | field | type | required | description |');
      return;
    }
    const cells = cellsOf(line.text);
    if (!this.columns) {
      const header = readHeader(cells);
      this.columns = header.ok ? header.value : [];
      if (!header.ok) this.refuse(line, header.expected);
      return;
    }
    // The rows of a refused header cannot be read.
    if (isSeparatorRow(cells) || this.columns.length === 0) return;
    const read = readFieldRow(cells, this.columns);
    if (!read.ok) {
      this.refuse(line, read.expected);
      return;
    }
    const field = read.value;
    const index = this.fields.length;
    this.fields.push(field);
    this.answers.fields.push({ ...field, type: spellFieldType(field.type) });
    const noColumn = this.columns.includes('required') ? '' : ' (no Required column)';
    this.read(
      line,
      `field ${field.name}: ${spellFieldType(field.type)}, ${field.required ? 'required' : 'optional'}${noColumn}`,
      `fields[${index}]`,
    );
  }

  private jobItem(line: Line, bullet: string | undefined): void {
    const item = bullet === undefined ? null : /^(purpose|trigger)\s*:\s*(.*)$/i.exec(bullet);
    if (!item) {
      this.refuse(line, '- Purpose: … or - Trigger: … under the Job heading');
      return;
    }
    const key = (item[1] ?? '').toLowerCase() as 'purpose' | 'trigger';
    const text = (item[2] ?? '').trim();
    const value = this.valueOf(line, text, () =>
      text ? { ok: true, value: text } : { ok: false, expected: `text after "${item[1]}:"` },
    );
    if (value === undefined) return;
    this.answers[key] = value;
    this.read(line, `${key}: ${value}`, key);
  }

  private behaviorItem(line: Line, bullet: string | undefined): void {
    const item = bullet === undefined ? null : /^([^:]+):\s*(.*)$/.exec(bullet);
    const found = item && BEHAVIOR_KEYS.find(({ label }) => label.test((item[1] ?? '').trim()));
    if (!item || !found) {
      this.refuse(
        line,
        '- Retry attempts: …, - Backoff strategy: …, - Timeout: … or - Priority: …',
      );
      return;
    }
    const value = item[2] ?? '';
    const { answers } = this;
    switch (found.key) {
      case 'retries': {
        const retries = this.valueOf(line, value, () =>
          readWholeNumber(value, 'a whole number of retries'),
        );
        if (retries === undefined) return;
        answers.retries = retries;
        const attempts = `${retries + 1} attempt${retries === 0 ? '' : 's'} in all`;
        return this.read(line, `retries: ${retries} after the first try (${attempts})`, 'retries');
      }
      case 'backoff': {
        const backoff = this.valueOf(line, value, () => readBackoff(value));
        if (backoff === undefined) return;
        answers.backoff = backoff;
        const delay =
          backoff.delayMs === undefined ? 'the default delay' : `${grouped(backoff.delayMs)} ms`;
        return this.read(line, `backoff: ${backoff.type} from ${delay}`, 'backoff');
      }
      case 'timeout': {
        const seconds = this.valueOf(line, value, () => readTimeoutSeconds(value));
        if (seconds === undefined) return;
        answers.timeoutSeconds = seconds;
        return this.read(line, `timeout: ${grouped(seconds)} s`, 'timeoutSeconds');
      }
      case 'priority': {
        const priority = this.valueOf(line, value, () =>
          readWholeNumber(value, 'a priority from 1 (runs first) to 10'),
        );
        if (priority === undefined) return;
        answers.priority = priority;
        return this.read(line, `priority: ${priority}`, 'priority');
      }
    }
  }

  private sideEffect(line: Line, bullet: string | undefined): void {
    const box = bullet === undefined ? null : /^\[( |x|X|✓|✔)\]\s*(.*)$/.exec(bullet);
    if (!box) {
      this.refuse(line, 'a checklist line such as - [x] Sends email (- [ ] when it does not)');
      return;
    }
    if (box[1] === ' ') return this.read(line, 'ignored (not checked)');
    const text = (box[2] ?? '').trim();
    const effect = this.valueOf(line, text, () => {
      const classified = classifySideEffect(text, this.queues);
      return classified.kind === 'refused'
        ? { ok: false, expected: classified.expected }
        : { ok: true, value: classified };
    });
    if (effect === undefined) return;
    if (effect.kind === 'trigger') {
      if (!this.triggers.includes(effect.queue)) this.triggers.push(effect.queue);
      const index = this.triggers.indexOf(effect.queue);
      this.read(
        line,
        `side effect: follow-up, queues ${effect.queue}`,
        `sideEffects.triggers[${index}]`,
      );
    } else if (effect.kind === 'other' || this.effects[effect.kind]) {
      // A second email or webhook line is a step of its own.
      const description = effect.kind === 'other' ? effect.description : text;
      this.other.push(description);
      this.read(
        line,
        `side effect: other, a step of its own for "${description}"`,
        `sideEffects.other[${this.other.length - 1}]`,
      );
    } else {
      this.effects[effect.kind] = true;
      if (effect.kind === 'email') this.emailLine = line.number;
      this.read(line, `side effect: ${effect.kind}`, `sideEffects.${effect.kind}`);
    }
  }

  /** The answers, once every line is read; refuses what is missing or was refused. */
  finish(): SpecReading {
    this.requireJob();
    if (this.problems.length > 0) throw new AnswersRejectedError(this.problems);
    if (this.effects.email && this.emailLine !== undefined) {
      const choice = chooseRecipient(this.fields, 'email');
      if (choice.ok) {
        const reading = `email recipient: ${describeRecipient(choice.recipient, 'email')}`;
        this.read({ number: this.emailLine, text: '' }, reading);
      }
    }
    this.answers.sideEffects = { ...this.effects, triggers: this.triggers, other: this.other };
    this.lines.sort((a, b) => a.line - b.line);
    return { answers: this.answers, lines: this.lines, lineOf: this.lineOf };
  }

  private requireJob(): void {
    if (this.jobLine === undefined) {
      this.problems.push({
        path: this.source,
        message:
          'has no "### Job: NAME" heading; expected the filled-in job prompt (see the seed create-background-job.md)',
      });
      return;
    }
    if (this.answers.purpose === '' && this.introPurpose) {
      const { text, line } = this.introPurpose;
      this.answers.purpose = text;
      this.read({ number: line, text: '' }, `purpose: ${text}`, 'purpose');
    }
    for (const [key, label] of [
      ['purpose', 'Purpose'],
      ['trigger', 'Trigger'],
    ] as const) {
      const refused = this.problems.some((problem) => problem.message.includes(`${label}:`));
      if (this.answers[key] === '' && !refused) {
        this.problems.push({
          path: `${this.source}:${this.jobLine}`,
          message: `the job has no ${key}; expected a line "- ${label}: …" under its heading`,
        });
      }
    }
  }
}

export function readSpec(text: string, options: ReadSpecOptions): SpecReading {
  const reader = new SpecReader(options.source, options.queues ?? []);
  // trim() also drops a Windows file's byte order mark and the CR of its CR LF.
  text
    .split(/\r?\n/)
    .forEach((raw, index) => reader.readLine({ number: index + 1, text: raw.trim() }));
  return reader.finish();
}

/**
 * Problems found later (validation, the repository's checks) located in the spec:
 * `fields[2].name` becomes `spec.md:21 (fields[2].name)`.
 */
export function locateInSpec<T extends { path?: string }>(
  problems: T[],
  reading: SpecReading,
  source: string,
): T[] {
  return problems.map((problem) => {
    if (problem.path === undefined) return problem;
    const path = problem.path;
    const match = Object.keys(reading.lineOf)
      .filter((key) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`))
      .sort((a, b) => b.length - a.length)[0];
    const line = match === undefined ? undefined : reading.lineOf[match];
    return line === undefined ? problem : { ...problem, path: `${source}:${line} (${path})` };
  });
}

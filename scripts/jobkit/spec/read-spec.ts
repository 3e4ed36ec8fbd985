import { AnswersRejectedError, type Problem } from '../core/errors.js';
import type { FieldAnswer, JobAnswersInput } from '../job/answers.schema.js';
import { parseFieldType, spellFieldType } from '../job/field-types.js';
import { jobNames } from '../job/names.js';
import { chooseRecipient, describeRecipient } from '../job/recipients.js';
import { otherSteps } from '../job/resolve-job.js';
import { classifySideEffect } from './side-effects.js';
import {
  grouped,
  plainCell,
  readBackoff,
  readRequired,
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

const COLUMNS = {
  name: /^(field|field name|name)$/i,
  type: /^type$/i,
  required: /^(required|req\.?|required\?)$/i,
  description: /^(description|desc\.?|notes?|meaning)$/i,
} satisfies Record<string, RegExp>;
type Column = keyof typeof COLUMNS;

/** Splits a table row at its unescaped pipes; `\|` stays in the cell as `|`. */
function cellsOf(row: string): string[] {
  const inner = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.replace(/\\\|/g, '|'));
}

const QUOTED = /^\s*('[^']*'|"[^"]*")\s*$/;

/**
 * A union type written unescaped in a table (`| kind | 'csv' | 'json' | yes |`)
 * splits into one cell per literal: the quoted cells that follow the Type column are
 * joined back while the row has more cells than the header.
 */
function joinUnionCells(cells: string[], typeIndex: number, width: number): string[] {
  const joined = [...cells];
  while (joined.length > width && QUOTED.test(joined[typeIndex + 1] ?? '')) {
    const [type = '', next = ''] = joined.slice(typeIndex, typeIndex + 2);
    joined.splice(typeIndex, 2, `${type}|${next}`);
  }
  return joined;
}

const BEHAVIOR_KEYS: { key: 'retries' | 'backoff' | 'timeout' | 'priority'; label: RegExp }[] = [
  { key: 'retries', label: /^(retry attempts|retries|retry|attempts|max retries)$/i },
  { key: 'backoff', label: /^(backoff strategy|backoff|back-off|retry backoff)$/i },
  { key: 'timeout', label: /^(timeout|time limit|timeout \(seconds\))$/i },
  { key: 'priority', label: /^priority$/i },
];

export function readSpec(text: string, options: ReadSpecOptions): SpecReading {
  const { source, queues = [] } = options;
  const problems: Problem[] = [];
  const lines: LineReading[] = [];
  const lineOf: Record<string, number> = {};
  const fields: FieldAnswer[] = [];
  const answers: JobAnswersInput & { fields: NonNullable<JobAnswersInput['fields']> } = {
    name: '',
    purpose: '',
    trigger: '',
    fields: [],
  };
  const effects = { email: false, webhook: false, database: false };
  const triggers: string[] = [];
  const other: { description: string; line: number }[] = [];
  let section: Section = 'prose';
  let columns: Column[] | undefined;
  let jobLine: number | undefined;
  let introPurpose: { text: string; line: number } | undefined;
  let emailLine: number | undefined;

  const refuse = (line: number, text: string, expected: string) =>
    problems.push({ path: `${source}:${line}`, message: `"${text.trim()}": expected ${expected}` });
  const read = (line: number, reading: string, path?: string) => {
    lines.push({ line, reading });
    if (path !== undefined) lineOf[path] = line;
  };
  /** The value, or undefined after refusing the line: unfilled, or not what was expected. */
  function valueOf<T>(
    line: number,
    text: string,
    value: string,
    result: () => Read<T>,
  ): T | undefined {
    const placeholder = unfilledPlaceholder(value);
    if (placeholder) {
      refuse(line, text, `the placeholder ${placeholder} filled in`);
      return undefined;
    }
    const parsed = result();
    if (parsed.ok) return parsed.value;
    refuse(line, text, parsed.expected);
    return undefined;
  }

  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('```') || trimmed.startsWith('<!--')) return;

    const heading = /^#{1,6}\s+(.*?)\s*#*$/.exec(trimmed);
    if (heading) {
      const title = (heading[1] ?? '').trim();
      const job = /^job\s*:\s*(.*)$/i.exec(title);
      const known = SECTION_HEADINGS.find((candidate) => candidate.heading.test(title));
      columns = undefined;
      if (job) {
        section = 'job';
        jobLine = line;
        const name = valueOf(line, trimmed, job[1] ?? '', () =>
          job[1]?.trim()
            ? { ok: true, value: job[1].trim() }
            : { ok: false, expected: 'the job name after "Job:", e.g. ### Job: AUDIT_LOG_EXPORT' },
        );
        if (name !== undefined) {
          answers.name = name;
          const names = jobNames(name);
          read(line, `job ${name}: constant ${names.constant}, queue '${names.kebab}'`, 'name');
        }
      } else section = known?.section ?? 'prose';
      return;
    }

    if (section === 'prose') {
      // The template's first line names the purpose: the fallback for "- Purpose:".
      const intro = /^I need to create a new background job for (.*?)(?: in \S+)?\.?$/i.exec(
        trimmed,
      );
      if (intro?.[1]) {
        const purpose = valueOf(line, trimmed, intro[1], () => ({
          ok: true,
          value: intro[1] ?? '',
        }));
        if (purpose !== undefined) introPurpose = { text: purpose, line };
      }
      return;
    }

    if (section === 'data') {
      if (!trimmed.startsWith('|')) {
        refuse(
          line,
          trimmed,
          'a row of the Job Data table: | field | type | required | description |',
        );
        return;
      }
      const cells = cellsOf(trimmed);
      if (!columns) {
        const named = cells.map((cell) =>
          (Object.keys(COLUMNS) as Column[]).find((column) =>
            COLUMNS[column].test(plainCell(cell)),
          ),
        );
        const unknown = cells.find((_, i) => named[i] === undefined);
        if (unknown !== undefined || !named.includes('name') || !named.includes('type')) {
          refuse(
            line,
            trimmed,
            `the table's header: | Field | Type | Required | Description | (Required and Description may be left out)${unknown !== undefined ? `; "${plainCell(unknown)}" is not one of these columns` : ''}`,
          );
          columns = [];
        } else columns = named as Column[];
        return;
      }
      if (cells.every((cell) => /^\s*:?-+:?\s*$/.test(cell))) return;
      if (columns.length === 0) return; // the header was refused
      const left = cells.map(unfilledPlaceholder).filter((found) => found !== undefined);
      if (left.length > 0) {
        refuse(line, trimmed, `the placeholders ${left.join(', ')} filled in (or the row removed)`);
        return;
      }
      const row = joinUnionCells(cells, columns.indexOf('type'), columns.length);
      if (row.length !== columns.length) {
        refuse(
          line,
          trimmed,
          `${columns.length} cells (${columns.join(', ')}), not ${row.length}; write a | inside a cell as \\|`,
        );
        return;
      }
      const cell = (column: Column) => {
        const at = columns?.indexOf(column) ?? -1;
        return at < 0 ? undefined : (row[at] ?? '');
      };
      const nameCell = cell('name') ?? '';
      const name = valueOf(line, trimmed, nameCell, () => ({
        ok: true,
        value: plainCell(nameCell),
      }));
      const typeCell = cell('type') ?? '';
      const type = valueOf(line, trimmed, typeCell, () => {
        const parsed = parseFieldType(plainCell(typeCell));
        return parsed.ok
          ? { ok: true, value: parsed.type }
          : { ok: false, expected: `a field type: ${parsed.problem}` };
      });
      const requiredCell = cell('required');
      const required =
        requiredCell === undefined
          ? true
          : valueOf(line, trimmed, requiredCell, () => readRequired(requiredCell));
      const descriptionCell = cell('description') ?? '';
      const description = valueOf(line, trimmed, descriptionCell, () => ({
        ok: true,
        value: plainCell(descriptionCell),
      }));
      if (
        name === undefined ||
        type === undefined ||
        required === undefined ||
        description === undefined
      )
        return;
      const index = fields.length;
      fields.push({ name, type, required, description });
      answers.fields.push({ name, type: spellFieldType(type), required, description });
      read(
        line,
        `field ${name}: ${spellFieldType(type)}, ${required ? 'required' : 'optional'}${requiredCell === undefined ? ' (no Required column)' : ''}`,
        `fields[${index}]`,
      );
      return;
    }

    const bullet = /^[-*+]\s+(.*)$/.exec(trimmed);
    if (section === 'job') {
      const item = bullet && /^(purpose|trigger)\s*:\s*(.*)$/i.exec(bullet[1] ?? '');
      if (!item) {
        refuse(line, trimmed, '- Purpose: … or - Trigger: … under the Job heading');
        return;
      }
      const key = (item[1] ?? '').toLowerCase() as 'purpose' | 'trigger';
      const value = valueOf(line, trimmed, item[2] ?? '', () =>
        item[2]?.trim()
          ? { ok: true, value: item[2].trim() }
          : { ok: false, expected: `text after "${item[1]}:"` },
      );
      if (value === undefined) return;
      answers[key] = value;
      read(line, `${key}: ${value}`, key);
      return;
    }

    if (section === 'behavior') {
      const item = bullet && /^([^:]+):\s*(.*)$/.exec(bullet[1] ?? '');
      const found = item && BEHAVIOR_KEYS.find(({ label }) => label.test((item[1] ?? '').trim()));
      if (!item || !found) {
        refuse(
          line,
          trimmed,
          '- Retry attempts: …, - Backoff strategy: …, - Timeout: … or - Priority: …',
        );
        return;
      }
      const value = item[2] ?? '';
      if (found.key === 'retries') {
        const retries = valueOf(line, trimmed, value, () =>
          readWholeNumber(value, 'a whole number of retries'),
        );
        if (retries === undefined) return;
        answers.retries = retries;
        read(
          line,
          `retries: ${retries} after the first try (${retries + 1} attempt${retries === 0 ? '' : 's'} in all)`,
          'retries',
        );
      } else if (found.key === 'backoff') {
        const backoff = valueOf(line, trimmed, value, () => readBackoff(value));
        if (backoff === undefined) return;
        answers.backoff = backoff;
        const delay =
          backoff.delayMs === undefined
            ? 'from the default delay'
            : `from ${grouped(backoff.delayMs)} ms`;
        read(line, `backoff: ${backoff.type} ${delay}`, 'backoff');
      } else if (found.key === 'timeout') {
        const seconds = valueOf(line, trimmed, value, () => readTimeoutSeconds(value));
        if (seconds === undefined) return;
        answers.timeoutSeconds = seconds;
        read(line, `timeout: ${grouped(seconds)} s`, 'timeoutSeconds');
      } else {
        const priority = valueOf(line, trimmed, value, () =>
          readWholeNumber(value, 'a priority from 1 (runs first) to 10'),
        );
        if (priority === undefined) return;
        answers.priority = priority;
        read(line, `priority: ${priority}`, 'priority');
      }
      return;
    }

    // section === 'effects'
    const box = bullet && /^\[( |x|X|✓|✔)\]\s*(.*)$/.exec(bullet[1] ?? '');
    if (!box) {
      refuse(line, trimmed, 'a checklist line such as - [x] Sends email (- [ ] when it does not)');
      return;
    }
    if (box[1] === ' ') {
      read(line, 'ignored (not checked)');
      return;
    }
    const itemText = (box[2] ?? '').trim();
    const placeholder = unfilledPlaceholder(itemText);
    if (placeholder) {
      refuse(line, trimmed, `the placeholder ${placeholder} filled in`);
      return;
    }
    const effect = classifySideEffect(itemText, queues);
    if (effect.kind === 'refused') refuse(line, trimmed, effect.expected);
    else if (effect.kind === 'trigger') {
      if (!triggers.includes(effect.queue)) triggers.push(effect.queue);
      read(
        line,
        `side effect: follow-up, queues ${effect.queue}`,
        `sideEffects.triggers[${triggers.indexOf(effect.queue)}]`,
      );
    } else if (effect.kind === 'other' || effects[effect.kind]) {
      // A second email or webhook line is a step of its own.
      other.push({ description: effect.kind === 'other' ? effect.description : itemText, line });
    } else {
      effects[effect.kind] = true;
      if (effect.kind === 'email') emailLine = line;
      read(line, `side effect: ${effect.kind}`, `sideEffects.${effect.kind}`);
    }
  });

  if (jobLine === undefined) {
    problems.push({
      path: source,
      message:
        'has no "### Job: NAME" heading; expected the filled-in job prompt (see the seed create-background-job.md)',
    });
  } else {
    for (const key of ['purpose', 'trigger'] as const) {
      if (answers[key] !== '') continue;
      if (key === 'purpose' && introPurpose) {
        answers.purpose = introPurpose.text;
        read(introPurpose.line, `purpose: ${introPurpose.text}`, 'purpose');
      } else if (
        !problems.some((problem) =>
          problem.message.includes(`${key === 'purpose' ? 'Purpose' : 'Trigger'}:`),
        )
      ) {
        problems.push({
          path: `${source}:${jobLine}`,
          message: `the job has no ${key}; expected a line "- ${key === 'purpose' ? 'Purpose' : 'Trigger'}: …" under its heading`,
        });
      }
    }
  }
  if (problems.length > 0) throw new AnswersRejectedError(problems);

  if (effects.email && emailLine !== undefined) {
    const choice = chooseRecipient(fields, 'email');
    if (choice.ok) {
      const recipient = choice.recipient;
      read(emailLine, `email recipient: ${describeRecipient(recipient, 'email')}`);
    }
  }
  // Named here as the handler will name them, so the reading shows the step to fill in.
  const steps = otherSteps(
    other.map((item) => item.description),
    triggers.map((key) => `to${jobNames(key).pascal}`),
  );
  for (const [index, step] of steps.entries())
    read(
      other[index]?.line ?? 0,
      `side effect: other, the step ${step.name}`,
      `sideEffects.other[${index}]`,
    );
  answers.sideEffects = { ...effects, triggers, other: other.map((item) => item.description) };
  lines.sort((a, b) => a.line - b.line);
  return { answers, lines, lineOf };
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

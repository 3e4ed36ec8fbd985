import type { FieldAnswer } from '../job/answers.schema.js';
import { parseFieldType } from '../job/field-types.js';
import { plainCell, readRequired, unfilledPlaceholder, type Read } from './values.js';

/**
 * The spec's `### Job Data:` table, read a row at a time: the header names the
 * columns (in any order; Required and Description may be left out), then each row
 * is one field.
 */
const COLUMNS = {
  name: /^(field|field name|name)$/i,
  type: /^type$/i,
  required: /^(required|req\.?|required\?)$/i,
  description: /^(description|desc\.?|notes?|meaning)$/i,
} satisfies Record<string, RegExp>;
export type Column = keyof typeof COLUMNS;

/** Splits a table row at its unescaped pipes; `\|` stays in the cell as `|`. */
export function cellsOf(row: string): string[] {
  const inner = row
    .trim()
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.replace(/\\\|/g, '|'));
}

export function isSeparatorRow(cells: readonly string[]): boolean {
  return cells.every((cell) => /^\s*:?-+:?\s*$/.test(cell));
}

/** The columns a header row names, or what was expected of it. */
export function readHeader(cells: readonly string[]): Read<Column[]> {
  const named = cells.map((cell) =>
    (Object.keys(COLUMNS) as Column[]).find((column) => COLUMNS[column].test(plainCell(cell))),
  );
  const unknown = cells.find((_, index) => named[index] === undefined);
  if (unknown === undefined && named.includes('name') && named.includes('type'))
    return { ok: true, value: named as Column[] };
  return {
    ok: false,
    expected: `the table's header: | Field | Type | Required | Description | (Required and Description may be left out)${unknown === undefined ? '' : `; "${plainCell(unknown)}" is not one of these columns`}`,
  };
}

const QUOTED = /^\s*('[^']*'|"[^"]*")\s*$/;

/**
 * A union type written unescaped in a table (`| kind | 'csv' | 'json' | yes |`)
 * splits into one cell per literal: the quoted cells that follow the Type column are
 * joined back while the row has more cells than the header.
 */
function joinUnionCells(cells: readonly string[], typeIndex: number, width: number): string[] {
  const joined = [...cells];
  while (joined.length > width && QUOTED.test(joined[typeIndex + 1] ?? '')) {
    const [type = '', next = ''] = joined.slice(typeIndex, typeIndex + 2);
    joined.splice(typeIndex, 2, `${type}|${next}`);
  }
  return joined;
}

/** A field row, read under `columns`: the field, or what was expected of the row. */
export function readFieldRow(
  cells: readonly string[],
  columns: readonly Column[],
): Read<FieldAnswer> {
  const left = cells.map(unfilledPlaceholder).filter((found) => found !== undefined);
  if (left.length > 0)
    return {
      ok: false,
      expected: `the placeholders ${left.join(', ')} filled in (or the row removed)`,
    };
  const row = joinUnionCells(cells, columns.indexOf('type'), columns.length);
  if (row.length !== columns.length) {
    return {
      ok: false,
      expected: `${columns.length} cells (${columns.join(', ')}), not ${row.length}; write a | inside a cell as \\|`,
    };
  }
  const cell = (column: Column) => {
    const at = columns.indexOf(column);
    return at < 0 ? undefined : plainCell(row[at] ?? '');
  };
  const name = cell('name') ?? '';
  if (name === '') return { ok: false, expected: 'the field name in the Field column' };
  const type = parseFieldType(cell('type') ?? '');
  if (!type.ok) return { ok: false, expected: `a field type: ${type.problem}` };
  const requiredCell = cell('required');
  const required =
    requiredCell === undefined ? { ok: true as const, value: true } : readRequired(requiredCell);
  if (!required.ok) return required;
  return {
    ok: true,
    value: {
      name,
      type: type.type,
      required: required.value,
      description: cell('description') ?? '',
    },
  };
}

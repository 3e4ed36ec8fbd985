/**
 * JSON as people write it: a leading byte-order mark is accepted (editors on Windows
 * add one), a syntax error names its line and column, and a key given twice in one
 * object is refused naming it, where JSON.parse would silently keep the last value.
 */
export function parseJson(text: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new Error(`is not valid JSON: ${withLine(body, (error as Error).message)}`);
  }
  const duplicate = firstDuplicateKey(body);
  if (duplicate) {
    throw new Error(
      `the key "${duplicate.key}" is given twice in one object (line ${lineOf(body, duplicate.at)}); keep one`,
    );
  }
  return value;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (
    let index = text.indexOf('\n');
    index !== -1 && index < offset;
    index = text.indexOf('\n', index + 1)
  )
    line += 1;
  return line;
}

/** JSON.parse's message with the line and column of the position it names. */
function withLine(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  const first = message.split('\n')[0] ?? message;
  if (!position) return first;
  const offset = Number(position[1]);
  const line = lineOf(text, offset);
  const column = offset - text.lastIndexOf('\n', offset - 1);
  return `${first.replace(/ in JSON at position \d+.*$/, '')} (line ${line}, column ${column})`;
}

/**
 * The first key repeated within one object of `text`, which is valid JSON. One pass:
 * a stack holds the keys seen in each open object (null for an array).
 */
function firstDuplicateKey(text: string): { key: string; at: number } | undefined {
  const open: (Set<string> | null)[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '{') open.push(new Set());
    else if (char === '[') open.push(null);
    else if (char === '}' || char === ']') open.pop();
    else if (char === '"') {
      const start = index;
      for (index += 1; text[index] !== '"'; index += 1) if (text[index] === '\\') index += 1;
      const keys = open.at(-1);
      if (!keys) continue;
      let next = index + 1;
      while (/\s/.test(text[next] ?? '')) next += 1;
      if (text[next] !== ':') continue;
      const key = JSON.parse(text.slice(start, index + 1)) as string;
      if (keys.has(key)) return { key, at: start };
      keys.add(key);
    }
  }
  return undefined;
}

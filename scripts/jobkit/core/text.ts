/**
 * Free text from answers (purpose, trigger, descriptions, other side effects) ends up
 * in comments and string literals of generated TypeScript. These functions make any
 * text safe there without changing what a reader or the program sees.
 */

/** Every JavaScript line terminator, which would end a `//` comment or a string early. */
const LINE_BREAK = /\r\n|[\r\n\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The canonical form of an answer's free text: line breaks become `\n`, trailing
 * spaces go (prettier would drop them from comments), and the ends are trimmed.
 * Applying it twice changes nothing.
 */
export function normalizeFreeText(text: string): string {
  return text
    .replace(LINE_BREAK, '\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
}

/** Why a free text cannot be used, or undefined when it can. */
export function freeTextProblem(text: string): string | undefined {
  if (LONE_SURROGATE.test(text)) return 'contains a broken character (a lone UTF-16 surrogate)';
  const control = CONTROL.exec(text);
  if (control) {
    const code = control[0].codePointAt(0)?.toString(16).padStart(4, '0').toUpperCase();
    return `contains the control character U+${code}`;
  }
  return undefined;
}

/**
 * Makes text safe inside a block comment. Only `*` followed by `/` could end the
 * comment, so a backslash goes between them; a run of backslashes already there
 * gets one more, which keeps the mapping reversible (test/support/read-back.ts
 * reverses it).
 */
export function encodeCommentText(text: string): string {
  return text.replace(/\*(\\*)\//g, '*$1\\/');
}

/** Text as the body of a `/** … *\/` comment: encoded, one ` * ` line per line. */
export function docCommentBody(text: string): string {
  return encodeCommentText(text).split('\n').join('\n * ');
}

/**
 * A TypeScript string literal whose value is exactly `text`. JSON escapes quotes,
 * backslashes and control characters; U+2028 and U+2029 are escaped too, because
 * TypeScript's scanner ends a string literal at them.
 */
export function stringLiteral(text: string): string {
  return JSON.stringify(text).replace(/[\u2028\u2029]/g, (char) =>
    char === '\u2028' ? '\\u2028' : '\\u2029',
  );
}

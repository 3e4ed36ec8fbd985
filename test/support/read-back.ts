import { parsers } from 'prettier/plugins/typescript';

/**
 * Reads generated code back the way a reader and the program see it: the text of
 * every comment and the value of every string literal. It parses with TypeScript's
 * own parser (typescript-estree), not the Babel parser the kit formats with, and
 * decodes comments without the kit's helpers, so a mistake in the kit's encoding
 * cannot cancel out here.
 */
export interface ReadBack {
  /** Every block comment's text, decoration and `*\/` encoding removed; line comments as is. */
  comments: string[];
  /** The value of every string literal. */
  strings: string[];
}

/** The text a `/** … *\/` comment holds, from its value (what lies between the delimiters). */
export function decodeComment(value: string): string {
  const lines = value.replace(/^\*/, '').split('\n');
  const text = lines.map((line, index) =>
    index === 0 ? line.replace(/^ /, '') : line.replace(/^\s*\*( |$)/, ''),
  );
  while (text.length > 1 && text[0]?.trim() === '') text.shift();
  while (text.length > 1 && text[text.length - 1]?.trim() === '') text.pop();
  return decodeCommentText(text.join('\n').trimEnd());
}

/** Comment text as written, with the kit's `*\/` encoding undone. */
export function decodeCommentText(text: string): string {
  // `*` + n backslashes + `/` was written for `*` + (n - 1) backslashes + `/`.
  return text.replace(/\*(\\+)\//g, (_, slashes: string) => `*${slashes.slice(1)}/`);
}

interface Node {
  type?: unknown;
  value?: unknown;
  [key: string]: unknown;
}

function collectStrings(node: unknown, into: string[]): void {
  if (Array.isArray(node)) {
    for (const child of node) collectStrings(child, into);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const current = node as Node;
  if (current.type === 'Literal' && typeof current.value === 'string') into.push(current.value);
  for (const [key, child] of Object.entries(current)) {
    if (key !== 'loc' && key !== 'comments' && key !== 'tokens') collectStrings(child, into);
  }
}

export async function readBack(code: string): Promise<ReadBack> {
  // The parser reads none of the printing options that prettier's parser type asks for.
  const ast = (await parsers.typescript.parse(code, {} as never)) as unknown as {
    comments: { type: string; value: string }[];
    body: unknown;
  };
  const strings: string[] = [];
  collectStrings(ast.body, strings);
  return {
    comments: ast.comments.map((comment) =>
      comment.type === 'Block' ? decodeComment(comment.value) : comment.value,
    ),
    strings,
  };
}

/** Whether `text` comes out verbatim in a comment (as part of it) or a string (as all of it). */
export function holds(back: ReadBack, text: string, form: 'comment' | 'string'): boolean {
  return form === 'comment'
    ? back.comments.some((comment) => comment.includes(text))
    : back.strings.includes(text);
}

import fc from 'fast-check';
import * as prettier from 'prettier';
import { parsers } from 'prettier/plugins/typescript';
import { describe, expect, it } from 'vitest';
import { anyText, freeText } from '../../../test/support/arbitraries.js';
import { decodeComment, decodeCommentText } from '../../../test/support/read-back.js';
import {
  docCommentBody,
  encodeCommentText,
  freeTextProblem,
  normalizeFreeText,
  stringLiteral,
} from './text.js';

interface Statement {
  declaration?: Statement;
  declarations?: { init?: { value?: unknown } }[];
}

/** Comments and the values of `const x = '…'` strings in `code`, as TypeScript reads them. */
async function parse(code: string): Promise<{ comments: string[]; strings: string[] }> {
  const ast = (await parsers.typescript.parse(code, {} as never)) as unknown as {
    comments: { value: string }[];
    body: Statement[];
  };
  const strings = ast.body.flatMap((statement) =>
    ((statement.declaration ?? statement).declarations ?? []).flatMap((declaration) =>
      typeof declaration.init?.value === 'string' ? [declaration.init.value] : [],
    ),
  );
  return { comments: ast.comments.map((comment) => comment.value), strings };
}

describe('normalizeFreeText', () => {
  it('unifies line breaks, drops trailing spaces and trims the ends', () => {
    expect(normalizeFreeText('  a \r\nb\t\rc\u2028d\u2029e\n\n ')).toBe('a\nb\nc\nd\ne');
    expect(normalizeFreeText('  keep  inner   spaces ')).toBe('keep  inner   spaces');
    expect(normalizeFreeText('x\n   indented')).toBe('x\n   indented');
  });

  it('is idempotent and changes nothing but line breaks and edge spaces', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const once = normalizeFreeText(text);
        expect(normalizeFreeText(once)).toBe(once);
        const visible = (s: string) => s.replace(/\s+/g, '');
        expect(visible(once)).toBe(visible(text));
      }),
      { numRuns: 500 },
    );
  });
});

describe('freeTextProblem', () => {
  it('accepts printable text, tabs and line breaks', () => {
    expect(freeTextProblem('a\tb\nc\r\nd 😀 */ ${x} `')).toBeUndefined();
  });

  it('names control characters and broken surrogates', () => {
    expect(freeTextProblem('a\u0000b')).toBe('contains the control character U+0000');
    expect(freeTextProblem('\u001b[31m')).toBe('contains the control character U+001B');
    expect(freeTextProblem('\u007f')).toBe('contains the control character U+007F');
    expect(freeTextProblem('a\ud800')).toContain('lone UTF-16 surrogate');
    expect(freeTextProblem('\udc00b')).toContain('lone UTF-16 surrogate');
  });
});

describe('comment encoding', () => {
  it('breaks every comment terminator and nothing else', () => {
    expect(encodeCommentText('a */ b')).toBe('a *\\/ b');
    expect(encodeCommentText('**/')).toBe('**\\/');
    expect(encodeCommentText('*\\/')).toBe('*\\\\/');
    expect(encodeCommentText('/* // / * \\')).toBe('/* // / * \\');
  });

  it('never leaves a terminator and decodes back to the original', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const encoded = encodeCommentText(text);
        expect(encoded).not.toContain('*/');
        expect(decodeCommentText(encoded)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('survives prettier: the formatted doc comment reads back as the text', async () => {
    await fc.assert(
      // Accepted free text is never blank (an empty description gets no comment at all).
      fc.asyncProperty(freeText, async (raw) => {
        const text = normalizeFreeText(raw);
        const code = `/**\n * Purpose: ${docCommentBody(text)}\n */\nexport const x = ${stringLiteral(text)};\n/** ${docCommentBody(text)} */\nexport const y = 1;\n`;
        const formatted = await prettier.format(code, { parser: 'typescript', singleQuote: true });
        const { comments, strings } = await parse(formatted);
        expect(comments.map(decodeComment)).toEqual([`Purpose: ${text}`, text]);
        expect(strings).toEqual([text]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('stringLiteral', () => {
  it('is a literal whose value is the text, whatever it holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const literal = stringLiteral(text);
        expect(literal).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(JSON.parse(literal)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('escapes the separators that end a TypeScript string', async () => {
    expect(stringLiteral('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"');
    const { strings } = await parse(`const s = ${stringLiteral('a\u2028b')};`);
    expect(strings).toEqual(['a\u2028b']);
  });
});

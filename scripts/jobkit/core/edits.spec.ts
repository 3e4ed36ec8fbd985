import { describe, expect, it } from 'vitest';
import { appendEdit, hasLine, entryEdits, locateAnchor, removeLine, type Anchor } from './edits.js';
import { AnchorError } from './errors.js';
import { applyEdits } from '../../../test/support/apply-edits.js';

/** What the append and entry edits do to a text, applied. */
const appendLines = (source: string, text: string): string =>
  applyEdits(source, [appendEdit(source, text)]);
function insertEntryAt(source: string, offset: number, entry: string): string {
  const edits = entryEdits(source, offset, entry);
  return applyEdits(source, edits.comma ? [edits.comma, edits.entry] : [edits.entry]);
}

const END: Anchor = { description: 'the end marker', pattern: /^end\(\);$/m, position: 'before' };

describe('locateAnchor', () => {
  it('finds the one match, before or after it', () => {
    const source = 'a\nend();\nb\n';
    expect(locateAnchor('f.ts', source, END)).toBe(2);
    expect(locateAnchor('f.ts', source, { ...END, position: 'after' })).toBe(8);
  });

  it('refuses no match, naming the file and what it looked for', () => {
    expect(() => locateAnchor('f.ts', 'a\nb\n', END)).toThrow(AnchorError);
    expect(() => locateAnchor('f.ts', 'a\nb\n', END)).toThrow(
      'f.ts: found no the end marker (pattern /^end\\(\\);$/) in its 3 lines',
    );
  });

  it('refuses several matches, naming the file and every line', () => {
    expect(() => locateAnchor('f.ts', 'x\nend();\ny\nend();\n', END)).toThrow(
      'f.ts:2: the end marker matches 2 places (lines 2, 4); the kit needs exactly one',
    );
  });

  it('falls back to the next anchor only when the first matches nowhere', () => {
    const fallback: Anchor = { description: 'b', pattern: /b/, position: 'after' };
    expect(locateAnchor('f.ts', 'a b', [END, fallback])).toBe(3);
    expect(() => locateAnchor('f.ts', 'end();\nend();\nb', [END, fallback])).toThrow(
      'matches 2 places',
    );
    expect(() => locateAnchor('f.ts', 'c', [END, fallback])).toThrow(
      'found no the end marker (pattern /^end\\(\\);$/) or b (pattern /b/)',
    );
  });

  it('matches code only: never inside comments, strings or template literals', () => {
    const hidden = [
      '// end();',
      '/*\nend();\n*/',
      "const s = '\\\nend();';",
      'const t = `\nend();\n${x}`;',
    ];
    for (const text of hidden) {
      expect(() => locateAnchor('f.ts', `${text}\n`, END), text).toThrow('found no the end marker');
      expect(locateAnchor('f.ts', `${text}\nend();\n`, END), text).toBe(text.length + 1);
    }
  });

  it('moves above the comments right over the match when asked, and only over those', () => {
    const method: Anchor = {
      description: 'the stop method',
      pattern: /^[ \t]*stop\(/m,
      position: 'before',
      leadingComments: true,
    };
    const at = (source: string): string => source.slice(locateAnchor('f.ts', source, method));
    const documented = '  /**\n   * Stops.\n   */\n  // really\n  /* and */\n  stop() {}\n';
    expect(at(`class A {\n  go() {}\n\n${documented}}\n`)).toBe(`${documented}}\n`);
    // Code, a blank line or a comment that shares its line with code ends the walk.
    expect(at('  x = 1; /* c */\n  stop() {}\n')).toBe('  stop() {}\n');
    expect(at('  // far\n\n  stop() {}\n')).toBe('  stop() {}\n');
    expect(at('  /* a */ x = 1; /* b */\n  stop() {}\n')).toBe('  stop() {}\n');
    // `*/` that closes no block of its own, and a block opened after code.
    expect(at('  x = 1; */\n  stop() {}\n')).toBe('  stop() {}\n');
    expect(at('  x = 1; /*\n  */\n  stop() {}\n')).toBe('  stop() {}\n');
    // At the start of the file.
    expect(at('// first\nstop() {}\n')).toBe('// first\nstop() {}\n');
  });
});

describe('a spliced edit', () => {
  it('inserts replacement patterns literally', () => {
    expect(applyEdits('ab', [{ start: 1, end: 1, text: "$& $1 $' $`" }])).toBe("a$& $1 $' $`b");
  });
});

describe('hasLine', () => {
  it('compares whole lines literally, ignoring the indentation', () => {
    const source = "  createWorker<A>(QUEUE_NAMES.A, handleA);\nexport * from './x.job';\n";
    expect(hasLine(source, 'createWorker<A>(QUEUE_NAMES.A, handleA);')).toBe(true);
    expect(hasLine(source, "export * from './x.job';")).toBe(true);
    // Regex characters are not patterns here.
    expect(hasLine(source, "export * from './x.jobs';")).toBe(false);
    expect(hasLine(source, 'createWorker<.>(QUEUE_NAMES.A, handleA);')).toBe(false);
    expect(hasLine(source, 'createWorker<A>(QUEUE_NAMES.A')).toBe(false);
  });
});

describe('appendLines', () => {
  it('puts the text on lines of its own', () => {
    expect(appendLines('a', 'b')).toBe('a\nb\n');
    expect(appendLines('a\n', 'b\n')).toBe('a\nb\n');
    expect(appendLines('', 'b')).toBe('b\n');
  });
});

describe('insertEntryAt', () => {
  it('adds a comma to the entry before when it has none', () => {
    const source = "{\n  A: 'a'\n}";
    expect(insertEntryAt(source, source.indexOf('}'), "  B: 'b',")).toBe(
      "{\n  A: 'a',\n  B: 'b',\n}",
    );
  });

  it('keeps an existing trailing comma and skips line comments', () => {
    const source = "{\n  A: 'a', // first\n}";
    expect(insertEntryAt(source, source.indexOf('}'), "  B: 'b',")).toBe(
      "{\n  A: 'a', // first\n  B: 'b',\n}",
    );
    const uncommaed = "{\n  A: 'a' // it's // here\n}";
    expect(insertEntryAt(uncommaed, uncommaed.indexOf('}'), "  B: 'b',")).toBe(
      "{\n  A: 'a', // it's // here\n  B: 'b',\n}",
    );
  });

  it('starts a new line in an empty object', () => {
    const source = 'const X = {} as const;';
    expect(insertEntryAt(source, source.indexOf('}'), "  B: 'b',")).toBe(
      "const X = {\n  B: 'b',\n} as const;",
    );
  });
});

describe('removeLine', () => {
  it('removes the first equal line, or says it is absent', () => {
    expect(removeLine('a\n  b\nc\nb\n', 'b')).toBe('a\nc\nb\n');
    expect(removeLine('a\nc\n', 'b')).toBeUndefined();
  });
});

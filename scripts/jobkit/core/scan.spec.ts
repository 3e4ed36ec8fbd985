import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ParserOptions } from 'prettier';
import { parsers } from 'prettier/plugins/typescript';
import { describe, expect, it } from 'vitest';
import { closingBracket, codeAfterSplice, codeOf, lineEndingOf, scanCode } from './scan.js';

const repoRoot = join(import.meta.dirname, '../../..');

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : typeScriptFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Code where every hard case of the lexical grammar sits next to code that looks alike. */
const TRICKY = [
  "const a = { 'QUEUE_NAMES': `x${{ y: '}' }.y}z`, b: \"a'b\\\"c\" }; // } as const",
  'const r = /[/}]\\/*/g.test(s) ? x / 2 / y : /a/.source; /* a\n b */ const q = `a\\`${`n${1}`}`;',
  'if (a) return /x/;\nconst t = typeof /y/;\nlabel: for (;;) break;',
  "export const QUEUE_NAMES = {\r\n  A: 'a', // x\r\n  ...LEGACY,\r\n} as const;\r\n",
  'type T = Array<Array<number>>; const f = <T,>(x: T) => x; const d = a! / b;',
].join('\n');

interface EstreeNode {
  type: string;
  range: [number, number];
  [key: string]: unknown;
}

function walk(node: unknown, visit: (node: EstreeNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  if (typeof (node as EstreeNode).type === 'string' && Array.isArray((node as EstreeNode).range))
    visit(node as EstreeNode);
  for (const [key, value] of Object.entries(node))
    if (key !== 'parent' && key !== 'loc') walk(value, visit);
}

/**
 * Checks `codeOf` against the TypeScript parser (typescript-estree, as prettier
 * ships it): every comment blank; every string, template text and regular
 * expression blank inside its delimiters; every identifier as written.
 */
function checkAgainstParser(name: string, source: string): string[] {
  const ast = parsers.typescript.parse(source, {} as ParserOptions) as unknown as EstreeNode & {
    comments: EstreeNode[];
  };
  const code = codeOf(source);
  const problems: string[] = [];
  if (code.length !== source.length) problems.push(`${name}: length ${code.length}`);
  const blank = (start: number, end: number): string =>
    source.slice(start, end).replace(/[^\r\n\u2028\u2029]/g, ' ');
  const expectBlank = (start: number, end: number, where: string): void => {
    if (code.slice(start, end) !== blank(start, end)) problems.push(`${where} is not blank`);
  };
  for (const comment of ast.comments)
    expectBlank(...comment.range, `${name}: comment at ${comment.range[0]}`);
  let checked = 0;
  walk(ast, (node) => {
    const [start, end] = node.range;
    const where = `${name}: ${node.type} at ${start}`;
    if (node.type === 'Literal' && node.regex) {
      expectBlank(start + 1, start + source.slice(start, end).lastIndexOf('/'), where);
    } else if (node.type === 'Literal' && typeof node.value === 'string') {
      expectBlank(start + 1, end - 1, where);
      if (
        code.charAt(start) !== source.charAt(start) ||
        code.charAt(end - 1) !== source.charAt(end - 1)
      )
        problems.push(`${where}: quotes blanked`);
    } else if (node.type === 'TemplateElement') {
      const from = source.charAt(start) === '`' ? start + 1 : start;
      const to = source.charAt(end - 1) === '`' && end - 1 > from ? end - 1 : end;
      expectBlank(from, to, where);
    } else if (node.type === 'Identifier') {
      const length = (node.name as string).length;
      if (code.slice(start, start + length) !== source.slice(start, start + length))
        problems.push(`${where}: identifier blanked`);
    } else return;
    checked += 1;
  });
  if (checked === 0) problems.push(`${name}: nothing checked`);
  return problems;
}

describe('codeOf', () => {
  it('agrees with the TypeScript parser on the kit and the hosts of this repository', () => {
    const files = ['scripts/jobkit/core', 'apps', 'packages', 'test/fixtures'].flatMap((dir) =>
      typeScriptFiles(join(repoRoot, dir)),
    );
    expect(files.length).toBeGreaterThan(50);
    const problems = files.flatMap((file) =>
      checkAgainstParser(relative(repoRoot, file), readFileSync(file, 'utf8')),
    );
    expect(problems).toEqual([]);
  }, 60_000);

  it('agrees with the TypeScript parser on literals, comments and regular expressions that look like code', () => {
    expect(checkAgainstParser('tricky', TRICKY)).toEqual([]);
    const code = codeOf(TRICKY);
    expect(code).not.toContain('as const;\n');
    expect(code).toContain('...LEGACY');
  });

  it('keeps brackets balanced, so closingBracket finds the one that closes', () => {
    const source = "f({ a: '}', b: `${ { c: ')' } }`, d: /[}]/ }) + 1";
    expect(source.slice(closingBracket(codeOf(source), 1))).toBe(') + 1');
  });
});

/** `source` with `[start, end)` replaced by `text`, its code derived from `source`'s. */
function splice(source: string, start: number, end: number, text: string) {
  const after = source.slice(0, start) + text + source.slice(end);
  return { after, code: codeAfterSplice(source, start, end, text, after) };
}

/** A small deterministic generator (mulberry32), so a failing case can be replayed. */
function random(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

/** Pieces that change how what follows them is read, and code around them. */
const PIECES = [
  '/',
  '//',
  '/*',
  '*/',
  "'",
  '"',
  '`',
  '${',
  '}',
  '{',
  '[',
  ']',
  ')',
  '\\',
  '\n',
  '\r\n',
  '\u2028',
  ' ',
  'x',
  'return ',
  'typeof ',
  'a / b',
  '/re[/]/g',
  '// c\n',
  '/* d */',
  "'s'",
  '`t${u}v`',
  'f(1);\n',
  '  g();\n',
];

describe('codeAfterSplice', () => {
  /** Each edit in turn on `source`, checking the derived code against a scan of the whole text. */
  const expectEdits = (source: string, edits: [number, number, string][]): void => {
    let text = source;
    codeOf(text);
    for (const [start, end, inserted] of edits) {
      const { after, code } = splice(text, start, end, inserted);
      expect(code).toBe(scanCode(after));
      expect(codeOf(after)).toBe(code);
      text = after;
    }
  };
  // Long enough to hold several checkpoints (a line start every 2 KB or so).
  const long = `${Array.from({ length: 400 }, (_, n) => `const v${n} = f(${n}); // ${n}`).join('\n')}\n`;
  const middle = long.indexOf('\n', long.length / 2) + 1;

  it('is undefined for a text not scanned lately', () => {
    expect(splice(`${long}// not scanned`, 0, 0, 'x').code).toBeUndefined();
  });

  it('equals a scan of the whole text after insertions that change how the rest reads', () => {
    const comment = long.indexOf('// 200');
    const cases: [string, [number, number, string][]][] = [
      // Right after a `//` comment, on its line and on the next.
      [
        'after a line comment',
        [[long.indexOf('\n', comment), long.indexOf('\n', comment), ' x();']],
      ],
      [
        'on the line after a comment',
        [[long.indexOf('\n', comment) + 1, long.indexOf('\n', comment) + 1, 'x();\n']],
      ],
      // Before a `/` that is a regular expression or a division depending on what precedes.
      ['before a slash', [[middle, middle, 'return\n']]],
      ['before a slash, as an operand', [[middle, middle, 'a\n']]],
      // A comment or a literal opened and never closed: the rest of the file changes.
      ['an open block comment', [[middle, middle, '/* open\n']]],
      ['an open template', [[middle, middle, '`open\n']]],
      ['a closed template', [[middle, middle, '`a${b}c`;\n']]],
      ['a deletion', [[middle, long.indexOf('\n', middle + 3000) + 1, '']]],
      ['a replacement', [[middle - 40, middle + 40, 'x\ny\n']]],
      ['at the start', [[0, 0, '// first\n']]],
      ['at the end', [[long.length, long.length, 'last();\n']]],
      [
        'edits in turn',
        [
          [middle, middle, 'a();\n'],
          [10, 10, 'b'],
          [middle, middle, 'c();\n'],
        ],
      ],
    ];
    const withSlash = `${long.slice(0, middle)}/x/g.test(s) ? 1 : 2;\n${long.slice(middle)}`;
    for (const [name, edits] of cases) {
      const source = name.startsWith('before a slash') ? withSlash : long;
      expect(() => expectEdits(source, edits), name).not.toThrow();
    }
  });

  it('equals a scan of the whole text when an edit turns a division on the next line into a regular expression', () => {
    // Each line start after `v = a` is read with `/` as a division; after `v = +`, as a
    // regular expression. Some of them are checkpoints of the scan.
    const source = '{\n' + 'v = a\n/ b / c;\n'.repeat(1000) + '}\n';
    for (let at = source.indexOf('= a'); at !== -1; at = source.indexOf('= a', at + 1))
      expectEdits(source, [[at + 2, at + 3, '+']]);
  });

  it('equals a scan of the whole text after a slash that read on past a line break', () => {
    // `/ a \` reads on over the escaped line breaks as a regular expression would, and
    // finds no end: a division; a `/` on a later line makes it a regular expression.
    const source = `${long}k = / a \\\n${'  b \\\n'.repeat(600)}end;\n`;
    for (const line of [10, 300, 590]) {
      const at = source.indexOf('  b', long.length + line * 6);
      expectEdits(source, [[at, at, '/']]);
    }
  });

  it('equals a scan of the whole text inside template code', () => {
    const source = `${long}const s = \`a\${\n  f({ x: 1 })\n}b\`;\n${long}`;
    const inside = source.indexOf('  f({ x: 1 })');
    expectEdits(source, [[inside, inside, '  g({ y: 2 }),\n']]);
    expectEdits(source, [[inside, inside, '}\n']]);
    expectEdits(source, [[inside, inside, '{\n']]);
  });

  it('equals a scan of the whole text at the end of a file with an unterminated comment', () => {
    const source = `${long}/* never closed\nconst z = 1;\n`;
    expectEdits(source, [
      [source.length, source.length, 'x();\n'],
      [source.indexOf('/* never'), source.indexOf('/* never') + 2, '//'],
    ]);
  });

  it('equals a scan of the whole text after random edits of tricky text', () => {
    const next = random(7);
    const pieces = (count: number): string =>
      Array.from({ length: count }, () => PIECES[next(PIECES.length)]).join('');
    for (let round = 0; round < 300; round += 1) {
      let source = '';
      while (source.length < 6000) source += next(4) === 0 ? pieces(4) : `${TRICKY}\n`;
      const edits: [number, number, string][] = [];
      let length = source.length;
      for (let edit = 0; edit < 4; edit += 1) {
        const start = next(length + 1);
        const end = Math.min(length, start + (next(3) === 0 ? next(40) : 0));
        const text = pieces(next(6));
        edits.push([start, end, text]);
        length += text.length - (end - start);
      }
      expectEdits(source, edits);
    }
  });
});

describe('lineEndingOf', () => {
  it("is the first line's ending", () => {
    expect(lineEndingOf('a\r\nb\n')).toBe('\r\n');
    expect(lineEndingOf('a\nb\r\n')).toBe('\n');
    expect(lineEndingOf('a')).toBe('\n');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ParserOptions } from 'prettier';
import { parsers } from 'prettier/plugins/typescript';
import { describe, expect, it } from 'vitest';
import { closingBracket, codeOf, lineEndingOf } from './scan.js';

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

describe('lineEndingOf', () => {
  it("is the first line's ending", () => {
    expect(lineEndingOf('a\r\nb\n')).toBe('\r\n');
    expect(lineEndingOf('a\nb\r\n')).toBe('\n');
    expect(lineEndingOf('a')).toBe('\n');
  });
});

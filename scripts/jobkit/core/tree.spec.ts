import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../test/support/memory-source.js';
import { codeOf, scanCode } from './scan.js';
import { VirtualTree } from './tree.js';

const FILE = 'a.ts';

function tree(text: string): VirtualTree {
  return new VirtualTree(memorySource({ [FILE]: text }));
}

/** The text of each recorded region of the file's change. */
function regionTexts(t: VirtualTree): string[] | undefined {
  const change = t.changes().find((c) => c.path === FILE);
  return change?.regions?.map((region) => (change.after ?? '').slice(region.start, region.end));
}

describe('VirtualTree.splice', () => {
  it('records what it inserted, and shifts regions after an earlier insertion', () => {
    const t = tree('one\ntwo\n');
    t.splice(FILE, 8, 8, 'three\n', 'statement');
    t.splice(FILE, 0, 0, 'zero\n', 'statement');
    expect(t.read(FILE)).toBe('zero\none\ntwo\nthree\n');
    expect(regionTexts(t)).toEqual(['zero\n', 'three\n']);
  });

  it('merges an insertion that touches a region into one (two jobs at one anchor)', () => {
    const t = tree('{\n}\n');
    t.splice(FILE, 2, 2, '  A: 1,\n', 'entry');
    t.splice(FILE, 10, 10, '  B: 2,\n', 'entry');
    expect(regionTexts(t)).toEqual(['  A: 1,\n  B: 2,\n']);
  });

  it('merges a rewrite over a region, and literal text into the context next to it', () => {
    const t = tree('import { a } from "x";\n');
    t.splice(FILE, 0, 22, 'import { a, b } from "x";', 'statement');
    t.splice(FILE, 0, 25, 'import { a, b, c } from "x";', 'statement');
    t.splice(FILE, 28, 28, ';', 'literal');
    expect(regionTexts(t)).toEqual(['import { a, b, c } from "x";;']);
  });

  it('stops tracking when regions of two contexts merge: the inserted code is then kept as written', () => {
    const t = tree('x\n');
    t.splice(FILE, 2, 2, 'a\n', 'statement');
    t.splice(FILE, 4, 4, 'b\n', 'member');
    expect(t.read(FILE)).toBe('x\na\nb\n');
    expect(regionTexts(t)).toBeUndefined();
  });

  it('has no regions for a file written whole or created', () => {
    const t = tree('x\n');
    t.splice(FILE, 0, 0, 'a\n', 'statement');
    t.write(FILE, 'rewritten\n');
    t.write('new.ts', 'created\n');
    expect(t.changes().map((change) => [change.path, change.regions])).toEqual([
      [FILE, undefined],
      ['new.ts', undefined],
    ]);
  });
});

describe('VirtualTree.splice and codeOf', () => {
  it('leaves the code of a scanned file, derived from the edit, equal to a scan of the new text', () => {
    const lines = Array.from({ length: 300 }, (_, n) => `const a${n} = f('${n}'); // ${n}`);
    const t = tree(`${lines.join('\n')}\n`);
    codeOf(t.read(FILE) ?? '');
    const middle = (t.read(FILE) ?? '').indexOf('const a150');
    t.splice(FILE, middle, middle, '/* open\n', 'literal');
    t.splice(FILE, middle + 3, middle + 3, '*/ x = `${y}', 'literal');
    const after = t.read(FILE) ?? '';
    expect(codeOf(after)).toBe(scanCode(after));
  });
});

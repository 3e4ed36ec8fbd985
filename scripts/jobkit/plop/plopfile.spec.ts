import type { NodePlopAPI } from 'plop';
import { describe, expect, it } from 'vitest';
import rootPlopfile from '../../../plopfile.js';
import plopfile from './plopfile.js';
import { specArgument } from './register.js';

/** Just enough of plop to see what a plopfile registers, and on which root. */
function recordingPlop(destBasePath: string) {
  const registered = { generators: [] as string[], actionTypes: [] as string[], roots: 0 };
  const plop = {
    getDestBasePath: () => {
      registered.roots += 1;
      return destBasePath;
    },
    setGenerator: (name: string) => registered.generators.push(name),
    setActionType: (name: string) => registered.actionTypes.push(name),
  } as unknown as NodePlopAPI;
  return { plop, registered };
}

describe('plopfile', () => {
  it('is what the repository plopfile.ts exports, for plop run directly', () => {
    expect(rootPlopfile).toBe(plopfile);
  });

  it("registers job and job:remove on plop's destination base", () => {
    const { plop, registered } = recordingPlop('/repo');
    plopfile(plop);
    expect(registered.generators).toEqual(['job', 'job:remove']);
    expect(registered.actionTypes).toEqual(['jobkit:generate', 'jobkit:remove']);
    expect(registered.roots).toBe(1);
  });
});

describe('specArgument', () => {
  it.each([
    [['job'], undefined],
    [['job', '--', '--from-spec', 'spec.md'], 'spec.md'],
    [['job', '--from-spec', 'spec.md'], 'spec.md'],
    [['job', '--from-spec=docs/spec.md'], 'docs/spec.md'],
  ])('reads %j as %s', (argv, expected) => {
    expect(specArgument(argv)).toBe(expected);
  });

  it('refuses a missing path and standard input, which the questions need', () => {
    expect(() => specArgument(['job', '--from-spec'])).toThrow('needs the path');
    expect(() => specArgument(['job', '--from-spec', '-'])).toThrow('pnpm gen:job --from-spec -');
  });
});

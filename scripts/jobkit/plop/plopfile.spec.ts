import type { NodePlopAPI } from 'plop';
import { describe, expect, it } from 'vitest';
import rootPlopfile from '../../../plopfile.js';
import plopfile from './plopfile.js';

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

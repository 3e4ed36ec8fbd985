import type { NodePlopAPI } from 'plop';
import { registerJobGenerators } from './scripts/jobkit/plop/register.js';

/** `pnpm plop job` and `pnpm plop job:remove`; the generators live in scripts/jobkit/. */
export default function plopfile(plop: NodePlopAPI): void {
  registerJobGenerators(plop, import.meta.dirname);
}

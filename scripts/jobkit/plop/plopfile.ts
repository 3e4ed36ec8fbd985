import type { NodePlopAPI } from 'plop';
import { registerJobGenerators } from './register.js';

/**
 * The plopfile: `job` and `job:remove`. The repository's plopfile.ts re-exports it,
 * and `pnpm plop` runs it as compiled with the rest of the kit (scripts/bin/plop.mjs).
 * Either way plop's destination base is the repository: by default the folder of
 * plopfile.ts, and `--dest` when run compiled.
 */
export default function plopfile(plop: NodePlopAPI): void {
  registerJobGenerators(plop, plop.getDestBasePath());
}

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJobs } from '../../scripts/jobkit/job/generate.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * A run whose answers are refused starts no process: the test runner's warm-up
 * begins only once the job is planned. The kit here is this repository's templates
 * with a stand-in for vitest's loader that only leaves a mark that it was started.
 */

let kit: string;
let host: TempHost;
const mark = () => join(kit, 'started');

beforeAll(() => {
  kit = mkdtempSync(join(tmpdir(), 'jobkit-warmup-'));
  symlinkSync(join(repoRoot, 'plop-templates'), join(kit, 'plop-templates'), 'dir');
  mkdirSync(join(kit, 'scripts/bin'), { recursive: true });
  writeFileSync(
    join(kit, 'scripts/bin/vitest-run.mjs'),
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(mark())}, 'yes');\n`,
  );
  host = createTempHost();
});
afterAll(() => {
  host.remove();
  rmSync(kit, { recursive: true, force: true });
});

const answers = JSON.parse(
  readFileSync(join(repoRoot, 'test/answers/audit-log-export.json'), 'utf8'),
) as Record<string, unknown>;

describe('the test runner warm-up', () => {
  it.each([
    ['answers the schema refuses', { ...answers, retries: -1 }],
    ['answers the repository refuses (a queue it has)', { ...answers, name: 'WELCOME_EMAIL' }],
  ])('is not started for %s', async (_, refused) => {
    const report = await generateJobs({ root: host.root, kitRoot: kit, answers: refused });
    expect(report.exitCode).toBe(2);
    expect(existsSync(mark())).toBe(false);
  });

  it('is started for answers that are planned', async () => {
    const report = await generateJobs({ root: host.root, kitRoot: kit, answers });
    expect(report.exitCode).not.toBe(2);
    expect(existsSync(mark())).toBe(true);
  });
});

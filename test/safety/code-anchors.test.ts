import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../../scripts/jobkit/core/scan.js';
import { genJobInProcess } from '../support/cli-in-process.js';
import { createTempHost, type TempHost } from '../support/temp-host.js';

/**
 * Code the kit edits, written in ways a line-by-line reading gets wrong: quoted
 * keys, template literals, spreads, code shown in comments, commented-out code,
 * Windows line endings. The kit must read it as the compiler does.
 */

const QUEUES = 'packages/shared/src/queues.ts';
const INDEX = 'packages/shared/src/index.ts';
const WORKER = 'apps/worker/src/worker.ts';
const SERVICE = 'apps/api/src/queue/queue.service.ts';
const EDITED = [QUEUES, INDEX, WORKER, SERVICE, 'packages/shared/src/job-data.ts'];

describe('code the kit edits, read as code', () => {
  let host: TempHost;
  let dir: string;
  let originals: Map<string, string>;

  beforeAll(() => {
    host = createTempHost();
    dir = mkdtempSync(join(tmpdir(), 'jobkit-anchors-'));
    originals = new Map(EDITED.map((path) => [path, host.read(path)]));
  });
  afterEach(() => {
    for (const [path, text] of originals) host.write(path, text);
    for (const file of [
      'packages/shared/src/jobs/report-ready.job.ts',
      'apps/worker/src/handlers/report-ready.handler.ts',
      'apps/worker/src/handlers/__tests__/report-ready.handler.spec.ts',
    ])
      rmSync(join(host.root, file), { force: true });
  });
  afterAll(() => {
    host.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Generates a job named `name` without verification (the parse and format checks still run). */
  async function generate(name = 'REPORT_READY') {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ name, purpose: 'Reports', trigger: 'A report is ready' }));
    return genJobInProcess(host.root, ['--answers', file, '--no-verify']);
  }

  const edit = (path: string, change: (text: string) => string): void =>
    host.write(path, change(host.read(path)));

  it('sees a queue written with a quoted key, and refuses to add it again', async () => {
    edit(QUEUES, (text) =>
      text.replace('} as const;', "  'REPORT_READY': 'report-ready',\n} as const;"),
    );
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toContain("QUEUE_NAMES already has REPORT_READY: 'report-ready'");
  });

  it('sees a queue name written as a template literal, and refuses to use it twice', async () => {
    edit(QUEUES, (text) => text.replace('} as const;', '  REPORTS: `report-ready`,\n} as const;'));
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toContain("QUEUE_NAMES already has REPORTS: 'report-ready'");
  });

  it('refuses a spread in QUEUE_NAMES, whose queues it cannot see, naming it', async () => {
    edit(QUEUES, (text) =>
      text
        .replace(
          'export const QUEUE_NAMES',
          "const LEGACY_QUEUES = { REPORT_READY: 'report-ready' } as const;\n\nexport const QUEUE_NAMES",
        )
        .replace('} as const;\n\nexport type', '  ...LEGACY_QUEUES,\n} as const;\n\nexport type'),
    );
    const before = host.read(QUEUES);
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/queues\.ts:\d+: QUEUE_NAMES spreads `\.\.\.LEGACY_QUEUES`/);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^error: /),
      'Nothing was written.',
    ]);
    expect(host.read(QUEUES)).toBe(before);
  });

  it('ignores QUEUE_NAMES shown in a doc comment and adds to the real object', async () => {
    const example =
      "/**\n * For example:\n *   export const QUEUE_NAMES = { EXAMPLE: 'example' } as const;\n */\n";
    edit(QUEUES, (text) =>
      text.replace('export const QUEUE_NAMES', `${example}export const QUEUE_NAMES`),
    );
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(0);
    const queues = host.read(QUEUES);
    expect(queues).toContain(example);
    expect(queues).toMatch(
      /WEBHOOK_DELIVERY: 'webhook-delivery',\n\s+REPORT_READY: 'report-ready',\n\} as const;/,
    );
  });

  it('adds after a commented-out entry that closes QUEUE_NAMES, with a comma only where code needs one', async () => {
    edit(QUEUES, (text) =>
      text.replace(
        "  WEBHOOK_DELIVERY: 'webhook-delivery',\n",
        "  WEBHOOK_DELIVERY: 'webhook-delivery' /* keep */,\n  /* RETIRED: 'retired', */\n",
      ),
    );
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(0);
    expect(host.read(QUEUES)).toContain(
      "/* RETIRED: 'retired', */\n  REPORT_READY: 'report-ready',\n",
    );
  });

  it('does not count registrations inside a block comment: the new one goes into code', async () => {
    edit(WORKER, (text) =>
      text.replace(
        /(\n  createWorker<WelcomeEmailJobData>[\s\S]*handleWebhookDelivery\);\n)/,
        '\n  /* paused$1  */\n',
      ),
    );
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(0);
    const worker = host.read(WORKER);
    expect(codeOf(worker)).toContain(
      'createWorker<ReportReadyJobData>(QUEUE_NAMES.REPORT_READY, handleReportReady);',
    );
    expect(codeOf(worker)).not.toContain('handleWebhookDelivery);');
  });

  it('keeps Windows line endings: inserted lines end in CRLF and no other line changes', async () => {
    const files = [QUEUES, INDEX, WORKER, SERVICE];
    for (const path of files) edit(path, (text) => text.replace(/\n/g, '\r\n'));
    const before = new Map(files.map((path) => [path, host.read(path)]));
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(0);
    for (const path of files) {
      const after = host.read(path);
      expect(after, path).not.toMatch(/[^\r]\n/);
      const added = new Set(after.split('\r\n'));
      for (const line of (before.get(path) ?? '').split('\r\n'))
        expect(added.has(line), `${path}: ${line}`).toBe(true);
    }
    expect(host.read(WORKER)).toContain(
      'createWorker<ReportReadyJobData>(QUEUE_NAMES.REPORT_READY, handleReportReady);\r\n',
    );
  });

  it('refuses a name whose contract would export a name the shared package already exports, naming both', async () => {
    const run = await generate('Infer');
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(2);
    expect(run.stderr).toMatch(
      /^error: name: "Infer" gives InferJobData, which packages\/shared\/src\/job-data\.ts:\d+ already exports through packages\/shared\/src\/index\.ts/,
    );
    expect(existsSync(join(host.root, 'packages/shared/src/jobs/infer.job.ts'))).toBe(false);
  });

  it('refuses a name whose handler the worker already declares, and one the shared package exports by an `export { … }`', async () => {
    edit(WORKER, (text) => `${text}\nfunction handleReportReady(): void {}\n`);
    edit(INDEX, (text) => `${text}export { QUEUE_NAMES as REPORT_READY_JOB } from './queues';\n`);
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /gives REPORT_READY_JOB, which packages\/shared\/src\/index\.ts:\d+ already exports/,
    );
    expect(run.stderr).toMatch(
      /gives handleReportReady, which apps\/worker\/src\/worker\.ts:\d+ already declares/,
    );
  });

  it('does not take a name mentioned in a comment for a clash', async () => {
    edit(WORKER, (text) => `${text}\n// handleReportReady comes later\n`);
    edit(SERVICE, (text) =>
      text.replace(
        '  async onModuleDestroy',
        '  // enqueueReportReady(data) comes later\n  async onModuleDestroy',
      ),
    );
    const run = await generate();
    expect(run.exitCode, run.stderr).toBe(0);
  });
});

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJobs } from '../../scripts/jobkit/job/generate.js';
import { removeJob } from '../../scripts/jobkit/job/remove-job.js';
import { generateWithJson, runGenJob } from '../support/run-kit.js';
import { createTempHost, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * `gen:job --remove NAME` undoes a generation: the tree comes back byte for byte.
 * When a place no longer looks as the generator left it, or other code still uses
 * the job, it refuses, naming the place, and changes nothing.
 */

function answersOf(name: string): unknown {
  return JSON.parse(readFileSync(join(repoRoot, 'test/answers', `${name}.json`), 'utf8'));
}

const WORKER = 'apps/worker/src/worker.ts';
const SERVICE = 'apps/api/src/queue/queue.service.ts';
const INDEX = 'packages/shared/src/index.ts';
const QUEUES = 'packages/shared/src/queues.ts';

async function generateQuietly(root: string, answers: unknown): Promise<void> {
  const report = await generateJobs({ root, kitRoot: repoRoot, answers, verify: false });
  expect(report.errors).toEqual([]);
}

describe('remove', () => {
  it('round trip: generate three jobs, remove them, and the tree is byte-identical', async () => {
    const host = createTempHost();
    try {
      const pristine = host.hash();
      await generateQuietly(host.root, [
        answersOf('audit-log-export'),
        answersOf('every-side-effect'),
        answersOf('minimal'),
      ]);
      expect(host.hash()).not.toBe(pristine);

      // Removal verifies too: what is left must type-check.
      for (const name of ['InvoiceDelivery', 'AUDIT_LOG_EXPORT', 'cache warmup']) {
        const run = await runGenJob(host.root, ['--remove', name]);
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/ok {2}typecheck apps\/worker/);
      }
      expect(host.hash()).toBe(pristine);
    } finally {
      host.remove();
    }
  });

  it('round trip on a host with no job yet: the imports the first job added go too', async () => {
    const host = createTempHost();
    try {
      host.write(
        QUEUES,
        'export const QUEUE_NAMES = {} as const;\n\nexport type QueueKey = keyof typeof QUEUE_NAMES;\n',
      );
      // The host's other code still uses the kit's helper modules, so they stay.
      host.write(INDEX, "export * from './queues';\nexport * from './job-data';\n");
      host.write(
        WORKER,
        [
          "import { createWorkerPool, type WorkerPool } from './runtime/worker-pool';",
          '',
          'export function startWorkers(): WorkerPool {',
          '  const pool = createWorkerPool({});',
          '  const { createWorker } = pool;',
          '',
          '  return pool;',
          '}',
          '',
        ].join('\n'),
      );
      host.write(
        SERVICE,
        [
          "import { Injectable } from '@nestjs/common';",
          '',
          '@Injectable()',
          'export class QueueService {',
          '  async addJob<T>(queue: string, data: T, options: object): Promise<never> {',
          '    throw new Error(`${queue} ${String(data)} ${String(options)}`);',
          '  }',
          '}',
          '',
        ].join('\n'),
      );
      const empty = host.hash();
      await generateQuietly(host.root, answersOf('minimal'));
      expect(host.read(WORKER)).toContain('import { QUEUE_NAMES, type CacheWarmupJobData }');
      expect(host.read(SERVICE)).toContain("import type { Job, JobsOptions } from 'bullmq';");

      const report = await removeJob({
        root: host.root,
        kitRoot: repoRoot,
        name: 'CACHE_WARMUP',
        verify: false,
      });
      expect(report.errors).toEqual([]);
      expect(host.hash()).toBe(empty);
    } finally {
      host.remove();
    }
  });

  it('round trip in a host whose files are not prettier-clean: git status is as before, the support modules the jobs brought gone too', async () => {
    const host = createTempHost(join(repoRoot, 'test/fixtures/acme-host'));
    try {
      // The files the jobs edit, as a person might have left them.
      const unformatted =
        '\nconst  untouched  =  {a:1,b:"two"}\n\n\nexport function  alsoUntouched( x:number ){ return x+1 }\n';
      for (const file of [QUEUES, INDEX, WORKER, SERVICE]) {
        host.write(
          file,
          `// kept as it is\n${host.read(file).replace(/;\n\n/g, '\n\n\n')}${unformatted}`,
        );
      }
      const git = (...args: string[]) =>
        execFileSync('git', args, { cwd: host.root, encoding: 'utf8' });
      git('init', '-q');
      git('add', '-A');
      git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'host');
      const answers = JSON.parse(
        readFileSync(join(repoRoot, 'test/answers/acme-batch.json'), 'utf8'),
      ) as unknown;
      await generateQuietly(host.root, answers);
      expect(git('status', '--porcelain')).toContain('?? apps/worker/src/runtime/');

      for (const name of ['ACCOUNT_CLOSURE', 'USAGE_DIGEST']) {
        const report = await removeJob({ root: host.root, kitRoot: repoRoot, name, verify: false });
        expect(report.errors).toEqual([]);
      }
      expect(git('status', '--porcelain') + git('diff')).toBe('');
    } finally {
      host.remove();
    }
  });

  it('--remove --dry-run prints the deletions and writes nothing', async () => {
    const host = createTempHost();
    try {
      await generateQuietly(host.root, answersOf('minimal'));
      const before = host.hash();
      const run = await runGenJob(host.root, ['--remove', 'CACHE_WARMUP', '--dry-run', '--json']);
      expect(run.exitCode).toBe(0);
      const report = JSON.parse(run.stdout) as { diff: string; files: { deleted: string[] } };
      expect(report.files.deleted).toHaveLength(3);
      expect(report.diff).toContain(
        '--- a/packages/shared/src/jobs/cache-warmup.job.ts\n+++ /dev/null\n',
      );
      expect(host.hash()).toBe(before);
    } finally {
      host.remove();
    }
  });

  it('refuses while another job triggers it, then removes both in order', async () => {
    const host = createTempHost();
    try {
      const pristine = host.hash();
      const report = await generateWithJson(
        host.root,
        [
          answersOf('minimal'),
          {
            name: 'Cache Report',
            purpose: 'Reports on the warm cache',
            trigger: 'After a warm-up',
            sideEffects: { triggers: ['CACHE_WARMUP'] },
          },
        ],
        ['--no-verify'],
      );
      expect(report.exitCode).toBe(0);
      const withBoth = host.hash();

      const refused = await runGenJob(host.root, ['--remove', 'CACHE_WARMUP']);
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toMatch(
        /^error: apps\/worker\/src\/handlers\/(__tests__\/)?cache-report\.handler(\.spec)?\.ts:\d+: still uses CACHE_WARMUP \(\d+ places: /m,
      );
      expect(host.hash()).toBe(withBoth);

      for (const name of ['CACHE_REPORT', 'CACHE_WARMUP']) {
        const run = await runGenJob(host.root, ['--remove', name, '--no-verify']);
        expect(run.exitCode, run.stderr).toBe(0);
      }
      expect(host.hash()).toBe(pristine);
    } finally {
      host.remove();
    }
  });

  describe('refuses, naming the place, when a file changed too much', () => {
    let host: TempHost;
    let generated: string;

    beforeAll(async () => {
      host = createTempHost();
      await generateQuietly(host.root, answersOf('audit-log-export'));
      generated = host.hash();
    });
    afterAll(() => host.remove());

    const CASES: {
      title: string;
      file: string;
      edit: (text: string) => string;
      place: RegExp;
    }[] = [
      {
        title: 'the registration edited by hand',
        file: WORKER,
        edit: (text) =>
          text.replace(
            'QUEUE_NAMES.AUDIT_LOG_EXPORT, handleAuditLogExport);',
            'QUEUE_NAMES.AUDIT_LOG_EXPORT, handleAuditLogExport, { concurrency: 2 });',
          ),
        place:
          /^apps\/worker\/src\/worker\.ts:\d+: found 0 registrations `createWorker<AuditLogExportJobData>/,
      },
      {
        title: 'the handler imported under another name',
        file: WORKER,
        edit: (text) =>
          text.replace(
            'import { handleAuditLogExport }',
            'import { handleAuditLogExport as handleExport }',
          ),
        place:
          /^apps\/worker\/src\/worker\.ts:\d+: the line `import \{ handleAuditLogExport \} from/,
      },
      {
        title: 'the queue entry sharing its line with a comment',
        file: QUEUES,
        edit: (text) =>
          text.replace(
            "AUDIT_LOG_EXPORT: 'audit-log-export',",
            "AUDIT_LOG_EXPORT: 'audit-log-export', // exports",
          ),
        place:
          /^packages\/shared\/src\/queues\.ts:\d+: the entry AUDIT_LOG_EXPORT: 'audit-log-export' is not alone/,
      },
      {
        title: 'the export replaced by a named one',
        file: INDEX,
        edit: (text) =>
          text.replace(
            "export * from './jobs/audit-log-export.job';",
            "export { AUDIT_LOG_EXPORT_JOB } from './jobs/audit-log-export.job';",
          ),
        place:
          /^packages\/shared\/src\/index\.ts:\d+: the line `export \* from '\.\/jobs\/audit-log-export\.job';` is not there/,
      },
      {
        title: 'the enqueue method renamed',
        file: SERVICE,
        edit: (text) => text.replace('async enqueueAuditLogExport(', 'async queueAuditLogExport('),
        place:
          /^apps\/api\/src\/queue\/queue\.service\.ts: found 0 methods named enqueueAuditLogExport/,
      },
      {
        title: 'the contract imported under another name',
        file: SERVICE,
        edit: (text) =>
          text.replace('  AUDIT_LOG_EXPORT_JOB,\n', '  AUDIT_LOG_EXPORT_JOB as AUDIT_JOB,\n'),
        place:
          /^apps\/api\/src\/queue\/queue\.service\.ts:\d+: the AUDIT_LOG_EXPORT contract is not imported/,
      },
      {
        title: 'the queue service not parsing',
        file: SERVICE,
        edit: (text) => `${text}\nexport const = ;\n`,
        place: /^apps\/api\/src\/queue\/queue\.service\.ts: it does not parse/,
      },
      {
        title: 'another file still using the job',
        file: 'apps/api/src/reports.ts',
        edit: () =>
          "import { AUDIT_LOG_EXPORT_JOB } from '@forgestack/shared';\n\nexport const REPORT_QUEUE = AUDIT_LOG_EXPORT_JOB.queue;\n",
        place:
          /^apps\/api\/src\/reports\.ts:1: still uses AUDIT_LOG_EXPORT \(2 places: apps\/api\/src\/reports\.ts:1, apps\/api\/src\/reports\.ts:3\)/,
      },
    ];

    it.each(CASES.map((entry) => [entry.title, entry] as const))('%s', async (_, entry) => {
      const path = join(host.root, entry.file);
      const original = existsSync(path) ? host.read(entry.file) : null;
      host.write(entry.file, entry.edit(original ?? ''));
      try {
        const edited = host.hash();
        const report = await removeJob({
          root: host.root,
          kitRoot: repoRoot,
          name: 'AUDIT_LOG_EXPORT',
          verify: false,
        });
        expect(report.exitCode).toBe(1);
        expect(report.errors).toHaveLength(1);
        expect(report.errors[0]?.message).toMatch(entry.place);
        expect(report.errors[0]?.message).toMatch(
          /removing the job automatically is not certain|remove those uses first/,
        );
        expect(host.hash()).toBe(edited);
      } finally {
        if (original === null) unlinkSync(path);
        else host.write(entry.file, original);
      }
      expect(host.hash()).toBe(generated);
    });

    it('a job that is not there is refused as an answer (exit 2)', async () => {
      const run = await runGenJob(host.root, ['--remove', 'NOT_A_JOB']);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(
        'error: name: NOT_A_JOB is not in QUEUE_NAMES (packages/shared/src/queues.ts); nothing to remove',
      );
      const traversal = await runGenJob(host.root, ['--remove', '../../etc']);
      expect(traversal.exitCode).toBe(2);
      expect(traversal.stderr).toContain('error: name: must start with a letter');
      expect(host.hash()).toBe(generated);
    });
  });
});

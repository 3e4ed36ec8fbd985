import { execa } from 'execa';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCommitFs, type CommitFs } from '../../scripts/jobkit/core/commit.js';
import { JOURNAL_FILE } from '../../scripts/jobkit/core/journal.js';
import { LOCK_FILE } from '../../scripts/jobkit/core/lock.js';
import type { RunReport } from '../../scripts/jobkit/core/report.js';
import { TEMPLATES } from '../../scripts/jobkit/job/actions.js';
import { generateJobs } from '../../scripts/jobkit/job/generate.js';
import { createTempHost, hashTree, repoRoot, type TempHost } from '../support/temp-host.js';

/**
 * Every step of a run made to fail in turn: each anchor (by breaking the file it is
 * in), each file operation of the commit, each template, formatting, verification, a
 * signal, a link leading outside. After each failure the tree must be byte-identical
 * to what it was.
 */

const answers = JSON.parse(
  readFileSync(join(repoRoot, 'test/answers/audit-log-export.json'), 'utf8'),
) as unknown;

const QUEUES = 'packages/shared/src/queues.ts';
const INDEX = 'packages/shared/src/index.ts';
const WORKER = 'apps/worker/src/worker.ts';
const SERVICE = 'apps/api/src/queue/queue.service.ts';
const HANDLER = 'apps/worker/src/handlers/audit-log-export.handler.ts';

/**
 * The commit compares a file changed in the last 100 ms by its text (one more read)
 * and an older one by its stamp. A fresh copy, or a file just put back, is that
 * young; dating the edited files an hour back gives every run over `root` the same
 * sequence of file operations, so a failure injected at operation N hits the same one.
 */
function dateEditedFilesBack(root: string): void {
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const file of [QUEUES, INDEX, WORKER, SERVICE]) {
    if (existsSync(join(root, file))) utimesSync(join(root, file), hourAgo, hourAgo);
  }
}

function generate(
  root: string,
  options: { kitRoot?: string; verify?: boolean; keep?: boolean; fs?: CommitFs } = {},
) {
  if (options.fs) dateEditedFilesBack(root);
  return generateJobs({
    root,
    kitRoot: options.kitRoot ?? repoRoot,
    answers,
    verify: options.verify ?? false,
    keep: options.keep ?? false,
    ...(options.fs ? { fs: options.fs } : {}),
  });
}

function messages(report: RunReport): string {
  return report.errors.map((error) => error.message).join('\n');
}

interface Breakage {
  title: string;
  file: string;
  /** The broken content; null deletes the file. */
  breakIt: (text: string) => string | null;
  /** Fragments the error must contain: the file, the line, what was looked for. */
  expected: string[];
}

const BREAKAGES: Breakage[] = [
  {
    title: 'QUEUE_NAMES without `as const`',
    file: QUEUES,
    breakIt: (text) => text.replace('} as const;', '};'),
    expected: [`${QUEUES}: found no the closing brace of \`export const QUEUE_NAMES`],
  },
  {
    title: 'a second QUEUE_NAMES object',
    file: QUEUES,
    breakIt: (text) => `${text}export const QUEUE_NAMES = { OLD: 'old' } as const;\n`,
    expected: [`${QUEUES}:5: \`export const QUEUE_NAMES\` is declared 2 times (lines 5, 13)`],
  },
  {
    title: 'no registration and no `const { createWorker } = pool;`',
    file: WORKER,
    breakIt: (text) =>
      text
        .split('\n')
        .filter((line) => !/\bcreateWorker\b/.test(line))
        .join('\n'),
    expected: [
      `${WORKER}: found no the block of worker registrations`,
      'const { createWorker } = pool;',
    ],
  },
  {
    title: 'registrations split in two blocks',
    file: WORKER,
    breakIt: (text) =>
      text.replace(
        /(createWorker<WelcomeEmailJobData>[^\n]*\n)/,
        "$1  logger.info({}, 'half of the workers registered');\n",
      ),
    expected: [
      `${WORKER}:22: the block of worker registrations`,
      'matches 2 places (lines 22, 24)',
    ],
  },
  {
    title: 'two value imports from the shared package',
    file: WORKER,
    breakIt: (text) => `import { QUEUE_NAMES as NAMES } from '@forgestack/shared';\n${text}`,
    expected: [`${WORKER}: 2 imports from '@forgestack/shared' (lines 1, 2)`],
  },
  {
    title: 'no onModuleDestroy and code after the class',
    file: SERVICE,
    breakIt: (text) =>
      `${text.replace('async onModuleDestroy(', 'async shutdown(')}export const AFTER = 1;\n`,
    expected: [`${SERVICE}: found no QueueService's \`onModuleDestroy()\` method`, 'closing brace'],
  },
  {
    title: 'two onModuleDestroy methods',
    file: SERVICE,
    breakIt: (text) =>
      `${text}\nexport class Other {\n  async onModuleDestroy(): Promise<void> {}\n}\n`,
    expected: [`${SERVICE}:`, "QueueService's `onModuleDestroy()` method matches 2 places"],
  },
  {
    title: 'the queues file missing',
    file: QUEUES,
    breakIt: () => null,
    expected: [`${QUEUES}: not found`],
  },
  {
    title: 'the shared index missing',
    file: INDEX,
    breakIt: () => null,
    expected: [`${INDEX}: not found`],
  },
  {
    title: 'the worker file missing',
    file: WORKER,
    breakIt: () => null,
    expected: [`${WORKER}: not found`],
  },
  {
    title: 'the queue service missing',
    file: SERVICE,
    breakIt: () => null,
    expected: [`${SERVICE}: not found`],
  },
];

/** Wraps the real file operations, recording each call and failing the `failAt`-th. */
function faultyFs(failAt: number | undefined, calls: string[] = []): CommitFs {
  const step =
    <A extends unknown[], R>(name: string, real: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const index = calls.length;
      calls.push(`${name} ${String(args[0])}`);
      if (index === failAt) throw new Error(`injected failure of ${name} (operation ${index})`);
      return real(...args);
    };
  return {
    readFile: step('readFile', nodeCommitFs.readFile),
    stat: step('stat', nodeCommitFs.stat),
    writeFile: step('writeFile', nodeCommitFs.writeFile),
    chmod: step('chmod', nodeCommitFs.chmod),
    rename: step('rename', nodeCommitFs.rename),
    unlink: step('unlink', nodeCommitFs.unlink),
    mkdir: step('mkdir', nodeCommitFs.mkdir),
    rmdir: step('rmdir', nodeCommitFs.rmdir),
  };
}

describe('fault injection', () => {
  let host: TempHost;
  let before: string;

  beforeAll(() => {
    host = createTempHost();
    before = host.hash();
  });
  afterAll(() => host.remove());

  describe.each(BREAKAGES.map((breakage) => [breakage.title, breakage] as const))(
    'anchor: %s',
    (_, breakage) => {
      it('stops with the file, the line and what it looked for, and changes nothing', async () => {
        const original = host.read(breakage.file);
        const broken = breakage.breakIt(original);
        if (broken === null) unlinkSync(join(host.root, breakage.file));
        else host.write(breakage.file, broken);
        try {
          const brokenHash = host.hash();
          const report = await generate(host.root);
          expect(report.exitCode).toBe(1);
          for (const fragment of breakage.expected) expect(messages(report)).toContain(fragment);
          expect(report.errors[0]?.file).toBe(breakage.file);
          expect(host.hash()).toBe(brokenHash);
        } finally {
          host.write(breakage.file, original);
        }
        expect(host.hash()).toBe(before);
      });
    },
  );

  it('fails each file operation of the commit in turn, and every time changes nothing', async () => {
    const probe = createTempHost(host.root);
    const calls: string[] = [];
    try {
      const report = await generate(probe.root, { fs: faultyFs(undefined, calls) });
      expect(report.exitCode).toBe(0);
    } finally {
      probe.remove();
    }
    // 7 files and the record of generated files: a stamp check of each of the 4
    // edited and a read of each of the 4 new, 8 temporary writes, 4 permission copies,
    // 8 renames; the journal written (to a temporary file, renamed) before the first
    // rename and after the last, and deleted at the end. Nothing but a rename ever
    // changes a target: every write goes to a temporary sibling.
    const temporary = /\.jobkit-\d+-[0-9a-f]{8}\.tmp$/;
    const journal = (call: string) => call.includes(JOURNAL_FILE);
    expect(calls.filter((call) => call.startsWith('stat'))).toHaveLength(4);
    expect(calls.filter((call) => call.startsWith('readFile'))).toHaveLength(4);
    expect(calls.filter((call) => call.startsWith('rename') && !journal(call))).toHaveLength(8);
    expect(calls.filter((call) => call.startsWith('rename') && journal(call))).toHaveLength(2);
    for (const call of calls.filter((c) => /^(writeFile|chmod) /.test(c))) {
      expect(call).toMatch(temporary);
    }
    expect(calls.filter((call) => /^(unlink|mkdir|rmdir) /.test(call))).toEqual([
      `mkdir ${join(probe.root, '.jobkit')}`,
      `unlink ${join(probe.root, JOURNAL_FILE)}`,
    ]);
    for (let failAt = 0; failAt < calls.length; failAt += 1) {
      const report = await generate(host.root, { fs: faultyFs(failAt) });
      expect(report.exitCode, calls[failAt]).toBe(1);
      expect(messages(report)).toContain(`(operation ${failAt})`);
      expect(host.hash(), `after failing ${calls[failAt]}`).toBe(before);
    }
  });

  it('creates and removes a missing folder all-or-nothing', async () => {
    const bare = createTempHost(host.root);
    try {
      rmSync(join(bare.root, 'apps/worker/src/handlers/__tests__'), { recursive: true });
      const bareHash = bare.hash();
      const probe = createTempHost(bare.root);
      const calls: string[] = [];
      try {
        expect((await generate(probe.root, { fs: faultyFs(undefined, calls) })).exitCode).toBe(0);
      } finally {
        probe.remove();
      }
      expect(calls.some((call) => call.startsWith('mkdir'))).toBe(true);
      for (let failAt = 0; failAt < calls.length; failAt += 1) {
        const report = await generate(bare.root, { fs: faultyFs(failAt) });
        expect(report.exitCode, calls[failAt]).toBe(1);
        expect(bare.hash(), `after failing ${calls[failAt]}`).toBe(bareHash);
        expect(existsSync(join(bare.root, 'apps/worker/src/handlers/__tests__'))).toBe(false);
      }
    } finally {
      bare.remove();
    }
  });

  it('names the files to restore by hand when the rollback itself fails', async () => {
    const doomed = createTempHost(host.root);
    try {
      const calls: string[] = [];
      let renames = 0;
      const fs: CommitFs = {
        ...faultyFs(undefined, calls),
        rename: async (from, to) => {
          renames += 1;
          // The fourth target fails, and so does putting back the first three.
          if (renames >= 4) throw new Error(`injected rename failure ${renames}`);
          return nodeCommitFs.rename(from, to);
        },
      };
      const report = await generate(doomed.root, { fs });
      expect(report.exitCode).toBe(1);
      expect(messages(report)).toContain('injected rename failure 4');
      expect(messages(report)).toContain(
        'could not restore every file; restore these from version control',
      );
    } finally {
      doomed.remove();
    }
  });

  it('refuses to write when a file changed on disk after planning', async () => {
    // A real edit on disk, made just before the commit looks at the file.
    const edited = `${host.read(WORKER)}// edited meanwhile\n`;
    const fs: CommitFs = {
      ...nodeCommitFs,
      stat: async (path) => {
        if (path.endsWith(WORKER)) host.write(WORKER, edited);
        return nodeCommitFs.stat(path);
      },
    };
    const original = host.read(WORKER);
    try {
      const report = await generate(host.root, { fs });
      expect(report.exitCode).toBe(1);
      expect(messages(report)).toContain(`${WORKER}: changed on disk while the kit was planning`);
      expect(host.read(WORKER)).toBe(edited);
    } finally {
      host.write(WORKER, original);
    }
    expect(host.hash()).toBe(before);
  });

  describe('templates', () => {
    let kit: string;
    beforeAll(() => {
      kit = mkdtempSync(join(tmpdir(), 'jobkit-kit-'));
      cpSync(join(repoRoot, 'plop-templates'), join(kit, 'plop-templates'), { recursive: true });
    });
    afterAll(() => rmSync(kit, { recursive: true, force: true }));

    /** Runs with one template replaced, then puts it back. */
    async function withTemplate(
      template: string,
      change: (text: string) => string,
      options: { verify?: boolean; keep?: boolean } = {},
    ): Promise<RunReport> {
      const path = join(kit, 'plop-templates', template);
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, change(original));
      try {
        return await generate(host.root, { kitRoot: kit, ...options });
      } finally {
        writeFileSync(path, original);
      }
    }

    it.each(Object.entries(TEMPLATES))(
      '%s producing code that does not parse stops before writing',
      async (_, template) => {
        const report = await withTemplate(template, (text) => `${text}\nconst = ;\n`);
        expect(report.exitCode).toBe(1);
        expect(messages(report)).toMatch(/does not parse/);
        expect(report.checks.some((check) => check.check === 'parse+format' && !check.ok)).toBe(
          true,
        );
        expect(host.hash()).toBe(before);
      },
    );

    it.each(Object.entries(TEMPLATES))(
      '%s throwing while it renders stops before writing',
      async (_, template) => {
        const report = await withTemplate(template, (text) => `${text}{{missingValue}}`);
        expect(report.exitCode).toBe(1);
        expect(messages(report)).toContain(`plop-templates/${template}: the template failed`);
        expect(host.hash()).toBe(before);
      },
    );

    it('a generated test that fails puts every file back', async () => {
      const report = await withTemplate(
        TEMPLATES.handlerTest,
        (text) =>
          text.replace(
            /\}\);\s*$/,
            "\n  it('fails on purpose', () => {\n    expect(1).toBe(2);\n  });\n});\n",
          ),
        { verify: true },
      );
      expect(report.exitCode).toBe(1);
      expect(messages(report)).toContain('failed its tests');
      expect(report.rolledBack).toBe(true);
      expect(host.hash()).toBe(before);
    });

    it('generated code that does not type-check puts every file back', async () => {
      const report = await withTemplate(
        TEMPLATES.contract,
        (text) => `${text}\nexport const broken: number = 'text';\n`,
        { verify: true },
      );
      expect(report.exitCode).toBe(1);
      expect(messages(report)).toContain('does not type-check');
      expect(report.rolledBack).toBe(true);
      expect(host.hash()).toBe(before);
    });

    it('with --keep, a failing check leaves the files for inspection', async () => {
      const kept = createTempHost(host.root);
      try {
        const path = join(kit, 'plop-templates', TEMPLATES.contract);
        const original = readFileSync(path, 'utf8');
        writeFileSync(path, `${original}\nexport const broken: number = 'text';\n`);
        let report: RunReport;
        try {
          report = await generateJobs({ root: kept.root, kitRoot: kit, answers, keep: true });
        } finally {
          writeFileSync(path, original);
        }
        expect(report.exitCode).toBe(1);
        expect(report.rolledBack).toBe(false);
        expect(kept.read(HANDLER)).toContain('handleAuditLogExport');
      } finally {
        kept.remove();
      }
    });
  });

  it('a signal during verification puts every file back and releases the lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobkit-signal-'));
    try {
      const file = join(dir, 'answers.json');
      writeFileSync(file, JSON.stringify(answers));
      const child = execa(
        'node',
        [join(repoRoot, 'scripts/bin/gen-job.mjs'), '--root', host.root, '--answers', file],
        { reject: false, env: { FORCE_COLOR: '0' } },
      );
      // Written means committed: verification (seconds of tsc and vitest) runs now.
      const deadline = Date.now() + 60_000;
      while (!existsSync(join(host.root, HANDLER)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(existsSync(join(host.root, HANDLER))).toBe(true);
      child.kill('SIGINT');
      const result = await child;
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('interrupted by SIGINT');
      expect(result.stderr).toContain('Every file was put back as it was.');
      expect(existsSync(join(host.root, LOCK_FILE))).toBe(false);
      expect(host.hash()).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('links', () => {
    it('refuses a folder that leads out of the repository', async () => {
      const linked = createTempHost(host.root);
      const outside = mkdtempSync(join(tmpdir(), 'jobkit-outside-'));
      try {
        const tests = join(linked.root, 'apps/worker/src/handlers/__tests__');
        cpSync(tests, outside, { recursive: true });
        rmSync(tests, { recursive: true });
        symlinkSync(outside, tests, 'dir');
        // hashTree does not follow links to folders: hash the two sides separately.
        const unlink = () => unlinkSync(tests);
        const relink = () => symlinkSync(outside, tests, 'dir');
        unlink();
        const linkedHash = linked.hash();
        relink();
        const outsideHash = hashTree(outside);

        const report = await generate(linked.root);
        expect(report.exitCode).toBe(1);
        expect(messages(report)).toContain(
          'apps/worker/src/handlers/__tests__/audit-log-export.handler.spec.ts: its folder leads out of the repository',
        );
        expect(hashTree(outside)).toBe(outsideHash);
        unlink();
        expect(linked.hash()).toBe(linkedHash);
      } finally {
        linked.remove();
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('refuses to replace a file that is a symbolic link', async () => {
      const linked = createTempHost(host.root);
      try {
        const worker = join(linked.root, WORKER);
        mkdirSync(join(linked.root, 'apps/worker/src/real'), { recursive: true });
        renameSync(worker, join(linked.root, 'apps/worker/src/real/worker.ts'));
        symlinkSync('real/worker.ts', worker);
        const linkedHash = linked.hash();

        const report = await generate(linked.root);
        expect(report.exitCode).toBe(1);
        expect(messages(report)).toContain(`${WORKER}: is a symbolic link`);
        expect(linked.hash()).toBe(linkedHash);
      } finally {
        linked.remove();
      }
    });
  });
});

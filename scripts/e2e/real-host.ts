// `pnpm e2e:real-host <checkout>`: adopts the kit into a checkout of a real host
// (ForgeStack), generates the worked example and a webhook + database job, runs the
// host's own checks on the result, removes the jobs, and times a verified run against
// the host's own checks of the packages it affects. Prints a table and ends with
// `real-host: N of M checks passed`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { RunReport } from '../jobkit/core/report.js';

const kitRoot = fileURLToPath(new URL('../..', import.meta.url));
const WORKED_EXAMPLE = join(kitRoot, 'test/answers/audit-log-export.json');
const WEBHOOK_DATABASE = join(kitRoot, 'test/answers/partner-sync.json');

interface Row {
  check: string;
  ok: boolean;
  detail: string;
}

interface Ran {
  status: number;
  output: string;
  stdout: string;
  seconds: number;
}

function run(file: string, args: string[], cwd: string): Ran {
  const started = performance.now();
  const result = spawnSync(file, args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', CI: 'true' },
  });
  return {
    status: result.status ?? 1,
    output: `${result.stdout}${result.stderr}`,
    stdout: result.stdout,
    seconds: (performance.now() - started) / 1000,
  };
}

const lastLine = (text: string): string =>
  text.trim().split('\n').filter(Boolean).pop()?.slice(0, 160) ?? '';

/** The host's copy of the kit, run with `node` (no pnpm of any version in between). */
function genJob(host: string, args: string[]): { report: RunReport; seconds: number } {
  const ran = run(process.execPath, ['scripts/bin/gen-job.mjs', '--json', ...args], host);
  try {
    return { report: JSON.parse(ran.stdout) as RunReport, seconds: ran.seconds };
  } catch {
    throw new Error(`gen:job ${args.join(' ')} printed no report:\n${ran.output}`);
  }
}

/** The `tsc` of the TypeScript a package resolves itself. */
function tscOf(host: string, dir: string): string {
  const manifest = createRequire(join(host, dir, 'package.json')).resolve(
    'typescript/package.json',
  );
  return join(dirname(manifest), 'bin', 'tsc');
}

/** A package's own tsc --noEmit on its tsconfig: its own check, as the host runs it. */
function hostTsc(host: string, dir: string, config = 'tsconfig.json'): Ran {
  return run(process.execPath, [tscOf(host, dir), '--noEmit', '-p', config], join(host, dir));
}

function jestOf(host: string, dir: string): string {
  return join(host, dir, 'node_modules', 'jest', 'bin', 'jest.js');
}

function hostJest(host: string, dir: string, args: string[]): Ran {
  return run(process.execPath, [jestOf(host, dir), '--ci', ...args], join(host, dir));
}

function gitStatus(host: string): string {
  return run('git', ['status', '--porcelain'], host).stdout;
}

/** Lines a change added to an existing file (a plain line diff, by multiset). */
function insertedLines(before: string, after: string): string[] {
  const left = new Map<string, number>();
  for (const line of before.split('\n')) left.set(line, (left.get(line) ?? 0) + 1);
  return after.split('\n').filter((line) => {
    const count = left.get(line) ?? 0;
    if (count > 0) left.set(line, count - 1);
    return count === 0;
  });
}

/**
 * Prettier (the host's) on what the kit wrote: each new file must be as prettier
 * formats it, and each line inserted into an existing file must be a line of
 * prettier's formatting of that file.
 */
async function prettierRows(
  host: string,
  report: RunReport,
  before: ReadonlyMap<string, string>,
): Promise<Row[]> {
  const prettierPath = createRequire(join(host, 'package.json')).resolve('prettier');
  // Its CommonJS entry: the API is the module's default export.
  const loaded = (await import(pathToFileURL(prettierPath).href)) as {
    default?: typeof import('prettier');
  } & typeof import('prettier');
  const prettier = loaded.default ?? loaded;
  const rows: Row[] = [];
  const unformatted: string[] = [];
  for (const file of report.files.created) {
    const text = readFileSync(join(host, file), 'utf8');
    const options = (await prettier.resolveConfig(join(host, file))) ?? {};
    if (!(await prettier.check(text, { ...options, filepath: join(host, file) })))
      unformatted.push(file);
  }
  rows.push({
    check: 'prettier: new files',
    ok: unformatted.length === 0,
    detail:
      unformatted.length === 0
        ? `${report.files.created.length} files as prettier formats them`
        : `not prettier-clean: ${unformatted.join(', ')}`,
  });
  const stray: string[] = [];
  let inserted = 0;
  for (const file of report.files.modified) {
    const text = readFileSync(join(host, file), 'utf8');
    const options = (await prettier.resolveConfig(join(host, file))) ?? {};
    const formatted = new Set(
      (await prettier.format(text, { ...options, filepath: join(host, file) })).split('\n'),
    );
    for (const line of insertedLines(before.get(file) ?? '', text)) {
      inserted += 1;
      if (!formatted.has(line)) stray.push(`${file}: ${line.trim()}`);
    }
  }
  rows.push({
    check: 'prettier: inserted lines',
    ok: stray.length === 0,
    detail:
      stray.length === 0
        ? `${inserted} lines in ${report.files.modified.length} files`
        : `${stray.length} of ${inserted} lines differ from prettier's, e.g. ${stray[0] ?? ''}`,
  });
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function printTable(rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.check.length));
  const lines = [
    `${'check'.padEnd(width)}  result  detail`,
    '-'.repeat(width + 16 + 40),
    ...rows.map(
      (row) => `${row.check.padEnd(width)}  ${(row.ok ? 'pass' : 'FAIL').padEnd(6)}  ${row.detail}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string', default: '3' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    process.stdout.write(
      "Usage: pnpm e2e:real-host <checkout> [--runs N]\n\nAdopts the kit into <checkout> (its workspace installed, its shared packages built),\ngenerates two jobs, runs the host's own checks, removes the jobs, and times\nN verified runs against the host's own checks, in alternation.\n",
    );
    return values.help ? 0 : 2;
  }
  const host = resolve(positionals[0] ?? '');
  const runs = Number.parseInt(values.runs, 10);
  const rows: Row[] = [];
  const log = (text: string) => process.stderr.write(`real-host: ${text}\n`);

  log(`adopting the kit into ${host}`);
  const adopted = run(process.execPath, [join(kitRoot, 'scripts/bin/adopt.mjs'), host], kitRoot);
  rows.push({
    check: 'adopt (jobkit:adopt)',
    ok: adopted.status === 0,
    detail: adopted.status === 0 ? 'copied, installed, the kit built' : lastLine(adopted.output),
  });
  if (adopted.status !== 0) {
    process.stderr.write(adopted.output);
    printTable(rows);
    process.stdout.write(`real-host: 0 of ${rows.length} checks passed\n`);
    return 1;
  }
  const statusBefore = gitStatus(host);
  const reports: RunReport[] = [];
  const before = new Map<string, string>();
  for (const [name, answers] of [
    ['AUDIT_LOG_EXPORT (worked example)', WORKED_EXAMPLE],
    ['PARTNER_SYNC (webhook + database)', WEBHOOK_DATABASE],
  ] as const) {
    log(`generating ${name}`);
    const planned = genJob(host, ['--answers', answers, '--dry-run']).report;
    for (const file of planned.files.modified)
      if (!before.has(file)) before.set(file, readFileSync(join(host, file), 'utf8'));
    const { report, seconds } = genJob(host, ['--answers', answers]);
    reports.push(report);
    const checks = report.checks.filter((check) => check.check !== 'parse+format');
    const preExisting = checks.reduce((sum, check) => sum + (check.preExisting ?? 0), 0);
    const skipped = checks
      .filter((check) => check.skipped !== undefined)
      .map((check) => check.target);
    rows.push({
      check: `generate ${name}, verified`,
      ok: report.exitCode === 0,
      detail:
        report.exitCode === 0
          ? `${seconds.toFixed(1)} s; ${checks.length - skipped.length} checks` +
            (preExisting > 0 ? `, ${preExisting} pre-existing diagnostics` : '') +
            (skipped.length > 0 ? `; not checked: ${skipped.join(', ')}` : '')
          : lastLine(report.errors.map((error) => error.message).join('\n')),
    });
  }
  const generated = reports.filter((report) => report.exitCode === 0);
  const affected = [
    ...new Set(
      generated.flatMap((report) =>
        report.checks
          .filter((check) => check.check === 'typecheck' && check.skipped === undefined)
          .map((check) => check.target),
      ),
    ),
  ].sort();

  log(`the host's own checks: ${affected.join(', ')}`);
  for (const dir of affected) {
    const build = join(host, dir, 'tsconfig.build.json');
    let config = 'tsconfig.json';
    try {
      readFileSync(build);
      config = 'tsconfig.build.json';
    } catch {
      // No build tsconfig: the package's own.
    }
    const ran = hostTsc(host, dir, config);
    rows.push({
      check: `tsc --noEmit -p ${dir}/${config}`,
      ok: ran.status === 0,
      detail: ran.status === 0 ? `clean, ${ran.seconds.toFixed(1)} s` : lastLine(ran.output),
    });
  }
  const worker = 'apps/worker';
  const jest = hostJest(host, worker, []);
  rows.push({
    check: `jest (${worker}, every suite)`,
    ok: jest.status === 0,
    detail: /Tests:.*$/m.exec(jest.output)?.[0] ?? lastLine(jest.output),
  });
  const apiJest = hostJest(host, 'apps/api', ['src/queue']);
  rows.push({
    check: 'jest (apps/api src/queue)',
    ok: apiJest.status === 0,
    detail: /Tests:.*$/m.exec(apiJest.output)?.[0] ?? lastLine(apiJest.output),
  });
  const merged: RunReport = {
    ...(generated[0] ?? reports[0]!),
    files: {
      created: [...new Set(generated.flatMap((report) => report.files.created))],
      modified: [...new Set(generated.flatMap((report) => report.files.modified))],
      deleted: [],
    },
  };
  try {
    rows.push(...(await prettierRows(host, merged, before)));
  } catch (error) {
    rows.push({ check: 'prettier', ok: false, detail: (error as Error).message.slice(0, 160) });
  }
  const doctor = run(process.execPath, ['scripts/bin/jobs-doctor.mjs', '--json'], host);
  const doctorReport = JSON.parse(doctor.stdout || '{}') as {
    queues?: { key: string; handler?: unknown; registration?: unknown; queueMethod?: unknown }[];
    findings?: { severity: string; message: string }[];
  };
  const findings = doctorReport.findings ?? [];
  // The doctor judges the generated jobs: findings about the host's own queues (a
  // queue its API never produces, say) are the host's, listed but not held against the kit.
  const jobNames = generated.flatMap((report) =>
    report.jobs.flatMap((job) => [job.constant, job.queue]),
  );
  const aboutJobs = findings.filter((finding) =>
    jobNames.some((name) => finding.message.includes(name)),
  );
  const hostErrors = findings.filter(
    (finding) => finding.severity === 'error' && !aboutJobs.includes(finding),
  );
  rows.push({
    check: 'jobs:doctor (the generated jobs)',
    ok: doctorReport.queues !== undefined && aboutJobs.length === 0,
    detail: `${doctorReport.queues?.length ?? 0} queues; ${aboutJobs.length} findings about the generated jobs; the host's own: ${findings.length - aboutJobs.length}${
      hostErrors[0] ? `, e.g. error: ${hostErrors[0].message.slice(0, 90)}` : ''
    }`,
  });

  for (const report of [...generated].reverse()) {
    for (const job of report.jobs) {
      log(`removing ${job.constant}`);
      const removed = genJob(host, ['--remove', job.constant]).report;
      rows.push({
        check: `remove ${job.constant}, verified`,
        ok: removed.exitCode === 0,
        detail:
          removed.exitCode === 0
            ? `${removed.files.deleted.length} files deleted, ${removed.files.modified.length} edited back`
            : lastLine(removed.errors.map((error) => error.message).join('\n')),
      });
    }
  }
  const statusAfter = gitStatus(host);
  const leftOver = statusAfter
    .split('\n')
    .filter((line) => line && !statusBefore.split('\n').includes(line));
  rows.push({
    check: 'round trip: git status as before',
    ok: statusAfter === statusBefore,
    detail:
      statusAfter === statusBefore
        ? 'identical'
        : `${leftOver.length} entries differ, e.g. ${leftOver.slice(0, 3).join('; ')}`,
  });

  // Speed: a verified run against the host's own checks of the packages it affects
  // (each one's tsc --noEmit, then jest on the new spec), in alternation.
  const kitSeconds: number[] = [];
  const hostSeconds: number[] = [];
  const speedAffected = [
    ...new Set(
      (reports[1]?.checks ?? [])
        .filter((check) => check.check === 'typecheck' && check.skipped === undefined)
        .map((check) => check.target),
    ),
  ];
  const spec = reports[1]?.files.created.find((file) => /\.spec\.ts$/.test(file));
  if (reports[1]?.exitCode === 0 && spec && runs > 0) {
    for (let index = 0; index < runs; index += 1) {
      log(`timing, pair ${index + 1} of ${runs}`);
      genJob(host, ['--answers', WEBHOOK_DATABASE, '--no-verify']);
      let total = 0;
      for (const dir of speedAffected) total += hostTsc(host, dir).seconds;
      total += hostJest(host, worker, ['--runTestsByPath', spec.slice(worker.length + 1)]).seconds;
      hostSeconds.push(total);
      genJob(host, ['--remove', 'PARTNER_SYNC', '--no-verify']);
      const timed = genJob(host, ['--answers', WEBHOOK_DATABASE]);
      if (timed.report.exitCode === 0) kitSeconds.push(timed.seconds);
      genJob(host, ['--remove', 'PARTNER_SYNC', '--no-verify']);
    }
    const kit = median(kitSeconds);
    const tools = median(hostSeconds);
    process.stdout.write(
      `speed (medians of ${runs}): verified run ${kit.toFixed(2)} s; host's own checks ${tools.toFixed(2)} s (tsc --noEmit on ${speedAffected.join(', ')} + jest on the new spec); ratio ${(kit / tools).toFixed(2)}\n`,
    );
    rows.push({
      check: 'speed: verified run <= 1.3x host checks',
      ok: kitSeconds.length === runs && kit <= 1.3 * tools,
      detail: `${kit.toFixed(2)} s vs ${tools.toFixed(2)} s = ${(kit / tools).toFixed(2)}x (medians of ${runs})`,
    });
  }

  printTable(rows);
  const passed = rows.filter((row) => row.ok).length;
  process.stdout.write(`real-host: ${passed} of ${rows.length} checks passed\n`);
  return passed === rows.length ? 0 : 1;
}

process.exitCode = await main();

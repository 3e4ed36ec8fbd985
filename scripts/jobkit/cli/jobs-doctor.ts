import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KitError } from '../core/errors.js';
import { describeFsError, isFsError } from '../core/files.js';
import { diskSource, VirtualTree } from '../core/tree.js';
import { inspectHost, type DoctorReport } from '../doctor/inspect-host.js';
import { loadLayout } from '../host/config.js';
import type { HostLayout } from '../host/layout.js';
import { readWorkspace } from '../host/workspace.js';

const USAGE = `Usage: pnpm jobs:doctor [--json] [--root <dir>]

Lists every queue in QUEUE_NAMES with its handler, worker registration,
QueueService method and the places in the API that queue its jobs, and reports
drift between them. Exit code 1 when an error
is found (warnings alone exit 0).`;

/** The API package's TypeScript sources, tests left out: where producers are looked for. */
function apiFiles(root: string, layout: HostLayout): string[] {
  const project = readWorkspace(root).find((candidate) =>
    layout.queueServiceFile.startsWith(`${candidate.dir}/`),
  );
  const list = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        return ['node_modules', 'dist', 'test', '__tests__'].includes(entry.name) ? [] : list(path);
      }
      return /\.[cm]?ts$/.test(entry.name) && !/\.(?:spec|test|d)\.[cm]?ts$/.test(entry.name)
        ? [path]
        : [];
    });
  const dir = project?.dir ?? layout.queueServiceFile.split('/').slice(0, 2).join('/');
  return existsSync(join(root, dir)) ? list(dir).sort() : [layout.queueServiceFile];
}

function print(report: DoctorReport, out: NodeJS.WritableStream): void {
  const lines = [`Queues (${report.queues.length})`];
  for (const queue of report.queues) {
    lines.push(`  ${queue.key}  '${queue.name}'  ${queue.place}`);
    lines.push(
      `    handler       ${queue.handler ? `${queue.handler.name}  ${queue.handler.place}` : '-'}`,
    );
    lines.push(`    registration  ${queue.registration?.place ?? '-'}`);
    lines.push(
      `    queue method  ${queue.queueMethod ? `${queue.queueMethod.name}  ${queue.queueMethod.place}` : '-'}`,
    );
    lines.push(`    queued at     ${queue.producers.join(', ') || '-'}`);
  }
  if (report.findings.length === 0) lines.push('No drift found.');
  for (const finding of report.findings)
    lines.push(`${finding.severity}: ${finding.place}: ${finding.message}`);
  out.write(`${lines.join('\n')}\n`);
}

/** `pnpm jobs:doctor`: returns the exit code. */
export async function main(
  argv: string[],
  context: { kitRoot: string; cwd?: string },
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        root: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(
      `error: ${(error as Error).message.split('.')[0] ?? 'bad arguments'}; see pnpm jobs:doctor --help\n`,
    );
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const root = values.root ? resolve(context.cwd ?? process.cwd(), values.root) : context.kitRoot;
  try {
    const layout = loadLayout(root);
    const dir = join(root, layout.handlersDir);
    const handlerFiles = existsSync(dir)
      ? readdirSync(dir)
          .filter((name) => name.endsWith('.handler.ts'))
          .sort()
          .map((name) => `${layout.handlersDir}/${name}`)
      : [];
    const report = inspectHost(
      new VirtualTree(diskSource(root)),
      layout,
      handlerFiles,
      apiFiles(root, layout),
    );
    if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else print(report, process.stdout);
    return report.ok ? 0 : 1;
  } catch (error) {
    const message =
      error instanceof KitError
        ? error.message
        : isFsError(error)
          ? `${error.path ?? root}: ${describeFsError(error)}`
          : `${(error as Error).message} (an unexpected error in the kit)`;
    if (values.json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, queues: [], findings: [], error: message }, null, 2)}\n`,
      );
    process.stderr.write(`error: ${message}\n`);
    return 1;
  }
}

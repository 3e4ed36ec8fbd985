import { describeRestore } from '../core/journal.js';
import type { RunReport } from '../core/report.js';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`;

/** The human summary of a run, written to stdout (success) or stderr (errors). */
export function printReport(
  report: RunReport,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): void {
  for (const notice of report.notices) err.write(`notice: ${notice}\n`);
  const lines: string[] = [];
  if (report.dryRun && report.diff !== undefined) {
    out.write(report.diff);
    lines.push('', 'Dry run: nothing was written.');
  }
  for (const job of report.jobs)
    lines.push(
      `${report.command === 'remove' ? 'Removing' : 'Job'} ${job.constant} (queue '${job.queue}')`,
    );
  const verb = report.dryRun ? 'would be ' : '';
  for (const path of report.files.created) lines.push(`  ${verb}created   ${path}`);
  for (const path of report.files.modified) lines.push(`  ${verb}modified  ${path}`);
  for (const path of report.files.deleted) lines.push(`  ${verb}deleted   ${path}`);
  const formatted = report.checks.filter((check) => check.check === 'parse+format');
  if (formatted.length > 0) {
    const ok = formatted.every((check) => check.ok);
    lines.push(`  ${ok ? 'ok' : 'FAILED'}  parse + prettier on ${formatted.length} files`);
  }
  for (const check of report.checks.filter((c) => c.check !== 'parse+format')) {
    // A check done within another (a package type-checked with its dependent) says so.
    if (check.skipped !== undefined) {
      lines.push(`  not checked  ${check.check} ${check.target}: ${check.skipped}`);
      continue;
    }
    const how = check.ok && check.output ? check.output : seconds(check.durationMs);
    const preExisting =
      check.preExisting === undefined
        ? ''
        : `; ${check.preExisting} pre-existing diagnostic${check.preExisting === 1 ? '' : 's'}`;
    lines.push(
      `  ${check.ok ? 'ok' : 'FAILED'}  ${check.check} ${check.target} (${how}${preExisting})`,
    );
  }
  if (report.ok) {
    if (report.nextSteps.length > 0)
      lines.push('Next:', ...report.nextSteps.map((step) => `  ${step}`));
    out.write(`${lines.join('\n')}\n`);
    return;
  }
  if (lines.length > 0) out.write(`${lines.join('\n')}\n`);
  for (const error of report.errors)
    err.write(`error: ${error.path ? `${error.path}: ` : ''}${error.message}\n`);
  if (report.restore) err.write(`${describeRestore(report.restore).join('\n')}\n`);
  else if (report.keptForInspection)
    err.write('The files were kept for inspection (--keep); see git status.\n');
  else if (!report.rolledBack) err.write('Nothing was written.\n');
}

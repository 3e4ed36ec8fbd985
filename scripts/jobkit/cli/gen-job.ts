import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { emptyReport, recordError, type RunReport } from '../core/report.js';
import { AnswersRejectedError } from '../core/errors.js';
import { describeFsError, MAX_INPUT_BYTES, readInput } from '../core/files.js';
import { parseJson } from '../core/json.js';
import { FIELD_TYPE_SPELLINGS } from '../job/field-types.js';
import { printReport } from './output.js';

const USAGE = `Usage: pnpm gen:job --answers <file.json | -> [options]
       pnpm gen:job --from-spec <file.md | -> [options]
       pnpm gen:job --remove <NAME> [options]

Writes a BullMQ job from an answers file (or standard input), with no prompts.

Options:
  --answers <file|->  answers for one job, or an array of them (a batch)
  --from-spec <file|->
                      a filled-in job prompt (the create-background-job.md
                      layout): prints how each line was read, then generates
  --print-answers     with --from-spec: print the answers JSON it read; write nothing
  --remove <NAME>     remove a generated job (constant, exports, registration,
                      queue method, handler and its test); files changed since
                      they were generated are refused, listed
  --force             with --remove: delete changed files too (a copy is kept
                      under .jobkit/removed/)
  --recover           finish what an interrupted run left (also done by every
                      run): undo a half-written commit, report unverified jobs
  --dry-run           print the plan as a unified diff; write nothing
  --json              print one JSON report on stdout; through pnpm, run
                      pnpm -s gen:job --json (without -s, pnpm adds its own
                      lines to stdout)
  --no-verify         skip the type-check and the generated tests
  --keep              keep the files when verification fails (no rollback)
  --root <dir>        the repository to change (default: this kit's repository)
  --print-config      show the effective host settings and where each came from
  -h, --help          show this text

Answers format: the JSON Schema scripts/job-answers.schema.json (point "$schema"
at it for completion in an editor); README.md, "Scripted runs", has an example.
Field types:
FIELD_TYPES

Exit codes: 0 done, 2 answers rejected (nothing written), 1 anything else failed
(every file is left as it was, unless --keep).`;

async function readAnswers(source: string, cwd: string): Promise<unknown> {
  const where = source === '-' ? 'standard input' : source;
  let text: string | null;
  try {
    text = await readInput(source === '-' ? '-' : resolve(cwd, source), where, MAX_INPUT_BYTES);
  } catch (error) {
    throw new AnswersRejectedError([{ path: '--answers', message: (error as Error).message }]);
  }
  if (text === null) {
    throw new AnswersRejectedError([
      {
        path: '--answers',
        message: `${where} does not exist; pass a JSON file or - for standard input`,
      },
    ]);
  }
  try {
    return parseJson(text);
  } catch (error) {
    throw new AnswersRejectedError([
      { path: '--answers', message: `${where}: ${(error as Error).message}` },
    ]);
  }
}

/** `--root` as a folder that exists, or a refusal naming it. */
function checkedRoot(root: string, given: string): string {
  let stats;
  try {
    stats = statSync(root);
  } catch (error) {
    throw new AnswersRejectedError([
      {
        path: '--root',
        message: `${given}: ${describeFsError(error)}; pass the repository's folder`,
      },
    ]);
  }
  if (!stats.isDirectory()) {
    throw new AnswersRejectedError([
      { path: '--root', message: `${given}: is a file; pass the repository's folder` },
    ]);
  }
  return root;
}

export interface CliContext {
  kitRoot: string;
  cwd?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

/** `pnpm gen:job`: returns the exit code. */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const {
    kitRoot,
    cwd = process.cwd(),
    stdout = process.stdout,
    stderr = process.stderr,
  } = context;
  let json = argv.includes('--json');
  let report: RunReport;
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        answers: { type: 'string' },
        'from-spec': { type: 'string' },
        'print-answers': { type: 'boolean', default: false },
        remove: { type: 'string' },
        root: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'no-verify': { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        recover: { type: 'boolean', default: false },
        'print-config': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    json = values.json;
    if (values.help) {
      const types = `${FIELD_TYPE_SPELLINGS.join(', ')}\n`.replace(
        /(.{1,74})(, |\n)/g,
        (_, line: string, end: string) => `  ${line}${end === ', ' ? ',' : ''}\n`,
      );
      stdout.write(`${USAGE.replace('FIELD_TYPES\n', types)}\n`);
      return 0;
    }
    const root = values.root ? checkedRoot(resolve(cwd, values.root), values.root) : kitRoot;
    const common = {
      root,
      kitRoot,
      dryRun: values['dry-run'],
      verify: !values['no-verify'],
      keep: values.keep,
    };
    if (values['print-config']) {
      const { printConfig } = await import('./print-config.js');
      printConfig(root, json, stdout);
      return 0;
    }
    const sources = (['answers', 'from-spec', 'remove'] as const).filter(
      (option) => values[option] !== undefined,
    );
    if (sources.length > 1) {
      throw new AnswersRejectedError([
        {
          path: `--${sources[1]}`,
          message: `give either --${sources[0]} or --${sources[1]}, not both`,
        },
      ]);
    }
    if (values['print-answers'] && values['from-spec'] === undefined) {
      throw new AnswersRejectedError([
        {
          path: '--print-answers',
          message: 'prints what --from-spec read; add --from-spec <file.md>',
        },
      ]);
    }
    if (values.recover) {
      const { recoverRepository } = await import('../core/take-repository.js');
      report = await recoverRepository(root);
    } else if (values.remove !== undefined) {
      const { removeJob } = await import('../job/remove-job.js');
      report = await removeJob({ ...common, name: values.remove, force: values.force });
    } else if (values.answers !== undefined || values['from-spec'] !== undefined) {
      const spec =
        values['from-spec'] === undefined
          ? undefined
          : await import('./from-spec.js').then(async (fromSpec) => {
              const read = await fromSpec.readSpecArgument(values['from-spec'] ?? '', cwd, root);
              // stdout carries only JSON when JSON is asked for.
              const quiet = json || values['print-answers'];
              fromSpec.printSpecReading(read, quiet ? stderr : stdout);
              return read;
            });
      if (spec && values['print-answers']) {
        stdout.write(`${JSON.stringify(spec.reading.answers, null, 2)}\n`);
        return 0;
      }
      const answers = spec ? spec.reading.answers : await readAnswers(values.answers ?? '', cwd);
      const { generateJobs } = await import('../job/generate.js');
      report = await generateJobs({ ...common, answers });
      if (spec) {
        const { locateInSpec } = await import('./from-spec.js');
        report.errors = locateInSpec(report.errors, spec.reading, spec.source);
      }
    } else {
      throw new AnswersRejectedError([
        {
          path: '--answers',
          message:
            'is missing; pass an answers file (or - for standard input), or run pnpm plop job to answer prompts',
        },
      ]);
    }
  } catch (error) {
    report = emptyReport('generate', false);
    const usage =
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS');
    recordError(
      report,
      usage
        ? new AnswersRejectedError([
            {
              path: '',
              message: `${(error as Error).message.split('.')[0]}; see pnpm gen:job --help`,
            },
          ])
        : error,
    );
  }
  if (json) stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report, stdout, stderr);
  return report.exitCode;
}

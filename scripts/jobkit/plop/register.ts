import type { NodePlopAPI } from 'plop';
import { printReport } from '../cli/output.js';
import type { RunReport } from '../core/report.js';
import { stopBeforeWriting, takeSignals } from '../core/signals.js';
import { diskSource, VirtualTree } from '../core/tree.js';
import { loadLayout } from '../host/config.js';
import { readQueueEntries } from '../host/read-host.js';
import { askJobAnswers, type PromptDefaults, type Prompter } from '../job/prompts.js';

const NO_TERMINAL =
  'pnpm plop job asks its questions in a terminal, and there is none here (CI or a pipe). Run it scripted instead: pnpm gen:job --answers <file.json | ->';

function requireTerminal(): void {
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new Error(NO_TERMINAL);
}

/**
 * Runs `ask` (the questions). Ctrl-C meanwhile ends the process with 130, as a
 * signal would, after saying on a line of its own that nothing was written (the
 * prompt leaves the cursor after the question, where pnpm's ELIFECYCLE line would
 * otherwise follow). Once the answers are in, the run handles signals itself.
 */
async function asking<T>(ask: () => Promise<T>): Promise<T> {
  const giveBack = takeSignals(stopBeforeWriting);
  // inquirer answers Ctrl-C by closing its input and sending the process SIGINT,
  // which arrives through the event loop: without this timer the loop, left with
  // nothing to do, would end first and the process exit 0 in silence.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    return await ask();
  } finally {
    clearInterval(keepAlive);
    giveBack();
  }
}

/**
 * `pnpm plop job -- --from-spec <file.md>` (the `--` may be left out): plop passes
 * the arguments after the generator's name through untouched, and ignores them for a
 * generator whose prompts are a function, as `job`'s are.
 */
export function specArgument(argv: readonly string[]): string | undefined {
  const at = argv.findIndex((arg) => arg === '--from-spec' || arg.startsWith('--from-spec='));
  const arg = argv[at];
  if (arg === undefined) return undefined;
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
  if (value === undefined || value === '' || value === '-') {
    throw new Error(
      '--from-spec needs the path of a filled-in job prompt (the terminal is for the questions; for standard input use pnpm gen:job --from-spec -)',
    );
  }
  return value;
}

/** The answers of `--from-spec`, printed as read, for the prompts to offer as defaults. */
async function specDefaults(root: string): Promise<PromptDefaults> {
  const path = specArgument(process.argv);
  if (path === undefined) return {};
  const { readSpecArgument, printSpecReading } = await import('../cli/from-spec.js');
  // pnpm runs the script in the repository; INIT_CWD is where the command was typed.
  const spec = await readSpecArgument(path, process.env.INIT_CWD ?? process.cwd(), root);
  printSpecReading(spec, process.stdout);
  return { answers: spec.reading.answers };
}

/** Prints the report; a failed run becomes a thrown error so plop exits with 1. */
function finish(report: RunReport): string {
  // plop's progress spinner (on unless --no-progress) is drawn on the current line:
  // cleared first, so no spinner frame is left before the summary.
  if (process.stdout.isTTY) process.stdout.write('\x1b[1G\x1b[2K');
  printReport(report, process.stdout, process.stderr);
  if (!report.ok)
    throw new Error(report.rolledBack ? 'nothing changed (rolled back)' : 'nothing changed');
  return report.command === 'remove' ? 'job removed' : 'job written';
}

/**
 * Wires the job generators into plop: plop asks the questions, then one action runs
 * the kit's transactional generator with the answers. The generator's own add,
 * append and modify actions (job/actions.ts) are planned in memory and written
 * all-or-nothing, which plop's built-in actions cannot do.
 */
export function registerJobGenerators(plop: NodePlopAPI, root: string): void {
  plop.setActionType('jobkit:generate', async (answers) => {
    const { generateJobs } = await import('../job/generate.js');
    return finish(await generateJobs({ root, kitRoot: root, answers: answers.job }));
  });
  plop.setActionType('jobkit:remove', async (answers) => {
    const { removeJob } = await import('../job/remove-job.js');
    return finish(
      await removeJob({
        root,
        kitRoot: root,
        name: String(answers.name),
        force: answers.force === true,
      }),
    );
  });

  plop.setGenerator('job', {
    description:
      'Add a typed, tested BullMQ job (queue, contract, handler, registration, API method, tests)',
    prompts: async (inquirer) => {
      requireTerminal();
      const defaults = await specDefaults(root);
      return {
        job: await asking(() => askJobAnswers(inquirer as unknown as Prompter, root, defaults)),
      };
    },
    actions: [{ type: 'jobkit:generate' }],
  });

  plop.setGenerator('job:remove', {
    description: 'Remove a generated job and every place it was wired in',
    prompts: async (inquirer) => {
      requireTerminal();
      const queues = readQueueEntries(new VirtualTree(diskSource(root)), loadLayout(root));
      const prompter = inquirer as unknown as Prompter;
      return asking(async () => {
        const { name } = await prompter.prompt([
          {
            type: 'list',
            name: 'name',
            message: 'Remove which job?',
            choices: queues.map((queue) => queue.key),
          },
        ]);
        const { editedJobFiles } = await import('../job/remove-job.js');
        const edited = editedJobFiles(root, String(name));
        const { confirmed } = await prompter.prompt([
          {
            type: 'confirm',
            name: 'confirmed',
            message:
              edited.length === 0
                ? `Remove ${String(name)} and its files?`
                : `Remove ${String(name)}? These files were changed since they were generated and would be deleted (a copy goes to .jobkit/removed/): ${edited.join(', ')}`,
            default: false,
          },
        ]);
        if (!confirmed) throw new Error('nothing removed');
        return { name, force: edited.length > 0 };
      });
    },
    actions: [{ type: 'jobkit:remove' }],
  });
}

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANG_MS } from './support/hang.js';
import { runGenJob } from './support/run-kit.js';
import { WAITING_FOR_INPUT } from '../scripts/jobkit/core/files.js';
import { LOCK_FILE } from '../scripts/jobkit/core/lock.js';
import { STOPPED_BEFORE_WRITING } from '../scripts/jobkit/core/signals.js';
import { createTempHost, type TempHost } from './support/temp-host.js';
import { ESCAPES, KEY, Terminal } from './support/terminal.js';

interface Field {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

const workedExample = JSON.parse(
  readFileSync(new URL('./answers/audit-log-export.json', import.meta.url), 'utf8'),
) as {
  name: string;
  purpose: string;
  trigger: string;
  fields: Field[];
  retries: number;
  backoff: { type: string; delayMs: number };
  timeoutSeconds: number;
  priority: number;
  sideEffects: { other: string[] };
};
/** As the seed writes it: `userEmail | string | yes`, the recipient known by its name. */
const answers = {
  ...workedExample,
  fields: workedExample.fields.map((field) =>
    field.name === 'userEmail' ? { ...field, type: 'string' } : field,
  ),
};

/** Position of each type in the type list, in the order the prompt shows them. */
const TYPE_LIST = [
  'string',
  'string (uuid)',
  'string (email)',
  'string (url)',
  'string (ISO)',
  'number',
  'integer',
  'boolean',
  'object',
];

/**
 * Drives the real `pnpm plop job` in a pseudo-terminal with the seed example's
 * answers as a person types them (keystrokes in, screen out), then checks the result
 * is byte-identical to `pnpm gen:job` run on the same answers in another copy of the
 * repository.
 */
describe('pnpm plop job in a terminal', () => {
  let interactive: TempHost;
  let scripted: TempHost;
  let terminal: Terminal;
  let exitCode: number;

  beforeAll(async () => {
    interactive = createTempHost();
    scripted = createTempHost();
    const env = terminalEnv();
    terminal = new Terminal('pnpm', ['plop', 'job'], interactive.root, env);

    await terminal.answer('Job name', answers.name);
    await terminal.answer('Purpose', answers.purpose);
    await terminal.answer('Trigger', answers.trigger);
    for (const field of answers.fields) {
      await terminal.answer(/Add (a|another) data field\?/, 'y');
      await terminal.answer('Field name', field.name);
      await terminal.answer(
        `Type of ${field.name}`,
        KEY.down.repeat(TYPE_LIST.indexOf(field.type)),
      );
      await terminal.answer('Required?', field.required ? 'y' : 'n');
      await terminal.answer('Description', field.description);
    }
    await terminal.answer('Add another data field?', 'n');
    await terminal.answer('Retries after the first try', String(answers.retries));
    await terminal.answer('Backoff between retries');
    await terminal.answer('Base delay in milliseconds', String(answers.backoff.delayMs));
    await terminal.answer('Timeout in seconds', String(answers.timeoutSeconds));
    await terminal.answer('Priority', String(answers.priority));
    // Sends email, Updates database, Triggers other jobs, Other.
    await terminal.answer(
      'Side effects',
      [KEY.space, KEY.down, KEY.down, KEY.space, KEY.down, KEY.space, KEY.down, KEY.space].join(''),
    );
    // NOTIFICATION_EMAIL is the second queue of QUEUE_NAMES.
    await terminal.answer('Queue which jobs', KEY.down + KEY.space);
    const [first, ...rest] = answers.sideEffects.other;
    await terminal.answer('Other side effect', first);
    for (const line of rest) await terminal.answer('Another side effect', line);
    await terminal.answer('Another side effect');
    exitCode = await terminal.exited();
  });

  afterAll(() => {
    terminal.kill();
    interactive.remove();
    scripted.remove();
  });

  it('takes userEmail, a plain string, as the recipient and says so', () => {
    expect(terminal.screen).toContain(
      'The email goes to data.userEmail (a plain string in the answers, checked as an email address at run time)',
    );
  });

  it('writes the job, type-checks it and passes its tests', () => {
    expect(terminal.screen).toContain("Job AUDIT_LOG_EXPORT (queue 'audit-log-export')");
    expect(terminal.screen).toContain('ok  typecheck apps/worker');
    expect(terminal.screen).toContain('ok  test apps/worker (vitest)');
    expect(exitCode).toBe(0);
  });

  it('gives byte-identical output to the scripted run on the same answers', async () => {
    // The checks write nothing: the interactive run above has been verified already.
    const run = await runGenJob(
      scripted.root,
      ['--answers', '-', '--no-verify'],
      JSON.stringify(answers),
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(interactive.hash()).toBe(scripted.hash());
  });
});

describe('pnpm plop job without a terminal', () => {
  it('stops at once and points to pnpm gen:job instead of waiting for input', async () => {
    const { execa } = await import('execa');
    const host = createTempHost();
    const before = host.hash();
    try {
      const result = await execa('pnpm', ['plop', 'job'], {
        cwd: host.root,
        stdin: 'pipe',
        input: '',
        reject: false,
        timeout: HANG_MS,
      });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('pnpm gen:job --answers <file.json | ->');
      expect(host.hash()).toBe(before);
    } finally {
      host.remove();
    }
  });
});

/** The environment of a person's terminal: not CI, no colours to strip. */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
  delete env.CI;
  return env;
}

/** What the screen shows after the line saying nothing was written, which must be there. */
function afterStoppedLine(screen: string): string {
  const lines = screen.split(/\r?\n/);
  const stopped = lines.indexOf(STOPPED_BEFORE_WRITING);
  expect(stopped, screen).toBeGreaterThan(-1);
  return lines.slice(stopped + 1).join('\n');
}

/**
 * Runs `command` in a terminal on a fresh copy of the repository and hands both to
 * `drive`, with the copy's digest from before the program started; then ends the
 * program and removes the copy whatever happened.
 */
async function inTerminal(
  command: string,
  args: string[],
  drive: (terminal: Terminal, host: TempHost, before: string) => Promise<void>,
  env: NodeJS.ProcessEnv = terminalEnv(),
): Promise<void> {
  const host = createTempHost();
  const before = host.hash();
  const terminal = new Terminal(command, args, host.root, env);
  try {
    await drive(terminal, host, before);
  } finally {
    terminal.kill();
    host.remove();
  }
}

describe('pnpm plop job stopped with Ctrl-C during the questions', () => {
  it('says on a line of its own that nothing was written, before pnpm reports the exit code', async () => {
    await inTerminal('pnpm', ['plop', 'job'], async (terminal, host, before) => {
      await terminal.waitFor('Job name');
      terminal.type(KEY.ctrlC);
      expect(await terminal.exited()).toBe(130);
      expect(afterStoppedLine(terminal.screen)).toMatch(/^\s*ELIFECYCLE\s.*130/);
      expect(host.hash()).toBe(before);
    });
  });
});

describe('pnpm gen:job at a terminal', () => {
  it('reads answers typed at the terminal, saying what it waits for', async () => {
    await inTerminal('pnpm', ['gen:job', '--answers', '-', '--no-verify'], async (terminal) => {
      await terminal.waitFor(WAITING_FOR_INPUT);
      terminal.type(`${JSON.stringify(answers)}\r`);
      terminal.type(KEY.ctrlD);
      expect(await terminal.exited()).toBe(0);
      expect(terminal.screen).toContain(
        'created   apps/worker/src/handlers/audit-log-export.handler.ts',
      );
    });
  });

  it('stopped with Ctrl-C while it waits, says on a line of its own that nothing was written', async () => {
    await inTerminal('pnpm', ['gen:job', '--answers', '-'], async (terminal, host, before) => {
      await terminal.waitFor(WAITING_FOR_INPUT);
      // The terminal signals pnpm too, which then ends by the signal, not by an exit code.
      terminal.type(KEY.ctrlC);
      await terminal.exited();
      expect(afterStoppedLine(terminal.screen)).toMatch(/^\s*ELIFECYCLE\s/);
      expect(host.hash()).toBe(before);
      expect(existsSync(join(host.root, LOCK_FILE))).toBe(false);
    });
  });
});

describe('pnpm plop job with plop’s progress spinner on', () => {
  it('clears the spinner’s line before the summary, so no frame is left in front of it', async () => {
    const env = terminalEnv();
    // plop turns its spinner off under NODE_ENV=test, which vitest sets.
    delete env.NODE_ENV;
    // plop's own command line without --no-progress, as `npx plop` would run it.
    await inTerminal(
      'node',
      ['scripts/bin/plop.mjs', 'job'],
      async (terminal) => {
        await terminal.answer('Job name', 'Spinner Check');
        await terminal.answer('Purpose', 'Checks the summary');
        await terminal.answer('Trigger', 'Tests');
        await terminal.answer('Add a data field?', 'n');
        for (const question of ['Retries', 'Backoff', 'Base delay', 'Timeout', 'Priority'])
          await terminal.answer(question);
        await terminal.answer('Side effects');
        expect(await terminal.exited()).toBe(0);
        // What the terminal shows on the summary's line: everything after the last
        // "erase line" before it, escapes removed.
        const before = terminal.raw.split("Job SPINNER_CHECK (queue 'spinner-check')")[0] ?? '';
        const line = before.slice(before.lastIndexOf('\n') + 1);
        expect(line.split('\u001b[2K').at(-1)?.replace(ESCAPES, '')).toBe('');
      },
      env,
    );
  });
});

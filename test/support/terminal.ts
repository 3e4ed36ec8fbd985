import { spawn, type IPty } from 'node-pty';
import { escapeRegExp } from '../../scripts/jobkit/core/regexp.js';
import { HANG_MS } from './hang.js';

/** Keys as a terminal sends them. */
export const KEY = {
  enter: '\r',
  down: '\u001b[B',
  up: '\u001b[A',
  space: ' ',
  ctrlC: '\u0003',
  ctrlD: '\u0004',
} as const;

// eslint-disable-next-line no-control-regex -- removing terminal escape sequences is the point
export const ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Z0-9]|\u001b[=>]/g;

/** Typed text a prompt echoes back, as opposed to keys such as arrows or space. */
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

/** Where `text` first occurs in `screen`, and how long the occurrence is. */
function locate(
  screen: string,
  text: string | RegExp,
): { index: number; length: number } | undefined {
  if (typeof text === 'string') {
    const index = screen.indexOf(text);
    return index === -1 ? undefined : { index, length: text.length };
  }
  const found = text.exec(screen);
  return found ? { index: found.index, length: found[0].length } : undefined;
}

/**
 * A program running in a real pseudo-terminal, read as a person reads the screen:
 * wait until some text shows up, then type.
 */
export class Terminal {
  private readonly pty: IPty;
  private output = '';
  private consumed = 0;
  private readonly exit: Promise<number>;

  constructor(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.pty = spawn(command, args, { name: 'xterm-256color', cols: 160, rows: 50, cwd, env });
    this.pty.onData((data) => {
      this.output += data;
    });
    this.exit = new Promise((resolve) => this.pty.onExit(({ exitCode }) => resolve(exitCode)));
  }

  /**
   * The program's exit code once it ends. A program still waiting for input after
   * HANG_MS fails the test with what the screen shows, rather than hanging it.
   */
  async exited(timeoutMs = HANG_MS): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `Still running after ${timeoutMs} ms; the screen ends with:\n${this.screen.slice(-2000)}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exit, hung]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Everything written to the terminal so far, escapes included. */
  get raw(): string {
    return this.output;
  }

  /** Everything shown so far, without colours and cursor movements. */
  get screen(): string {
    return this.output.replace(ESCAPES, '');
  }

  /** Waits until `text` appears after what earlier waits consumed. */
  async waitFor(text: string | RegExp, timeoutMs = HANG_MS): Promise<void> {
    await this.find(text, timeoutMs, false);
  }

  /**
   * Finds `text` after what earlier waits consumed, then consumes up to just past the
   * start of the match, or through its end when `through` is set.
   */
  private async find(text: string | RegExp, timeoutMs: number, through: boolean): Promise<void> {
    const started = Date.now();
    for (;;) {
      const match = locate(this.screen.slice(this.consumed), text);
      if (match) {
        this.consumed += match.index + (through ? match.length : 1);
        return;
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `Timed out waiting for ${String(text)}; the screen ends with:\n${this.screen.slice(-2000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  type(keys: string): void {
    this.pty.write(keys);
  }

  /**
   * Waits for a question, then answers it with `keys` and Enter. A prompt redraws its
   * whole line, question included, for each key it echoes, so a typed answer counts
   * as taken once that line has ended: only what follows can be the next question.
   * Otherwise a question asked twice in a row would be answered while its first
   * asking still echoes, and that Enter could land between the two prompts and be lost.
   */
  async answer(question: string | RegExp, keys = ''): Promise<void> {
    await this.waitFor(question);
    this.type(keys);
    this.type(KEY.enter);
    if (PRINTABLE.test(keys)) {
      await this.find(new RegExp(`${escapeRegExp(keys)}[^\\n]*\\n`), HANG_MS, true);
    }
  }

  kill(): void {
    this.pty.kill();
  }
}

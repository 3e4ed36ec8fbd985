import { spawn, type IPty } from 'node-pty';
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

/**
 * A program running in a real pseudo-terminal, read as a person reads the screen:
 * wait until some text shows up, then type.
 */
export class Terminal {
  private readonly pty: IPty;
  private output = '';
  private consumed = 0;
  readonly exited: Promise<number>;

  constructor(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
    this.pty = spawn(command, args, { name: 'xterm-256color', cols: 160, rows: 50, cwd, env });
    this.pty.onData((data) => {
      this.output += data;
    });
    this.exited = new Promise((resolve) => this.pty.onExit(({ exitCode }) => resolve(exitCode)));
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
    const started = Date.now();
    for (;;) {
      const screen = this.screen;
      const rest = screen.slice(this.consumed);
      const index = typeof text === 'string' ? rest.indexOf(text) : rest.search(text);
      if (index !== -1) {
        this.consumed += index + 1;
        return;
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `Timed out waiting for ${String(text)}; the screen ends with:\n${screen.slice(-2000)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  type(keys: string): void {
    this.pty.write(keys);
  }

  /** Waits for a question, then answers it with `keys` and Enter. */
  async answer(question: string | RegExp, keys = ''): Promise<void> {
    await this.waitFor(question);
    this.type(keys);
    this.type(KEY.enter);
  }

  kill(): void {
    this.pty.kill();
  }
}

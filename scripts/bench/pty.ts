import { spawn } from 'node-pty';
import { describeCommand, type Command } from './measure.js';

// Escape sequences (colours, cursor moves) come between the words of a prompt.
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-Za-z]|\u001b[=>78]/g;

/**
 * Starts `command` in a pseudo-terminal, as a person would in a shell, and returns
 * the seconds until `text` is on screen. The process is then interrupted (Ctrl-C,
 * as a person would quit the prompt) and awaited, killed if it lingers.
 */
export function timeToText(command: Command, text: string, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(command.env ?? process.env)) {
      if (value !== undefined) env[key] = value;
    }
    const started = performance.now();
    const pty = spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: 120,
      rows: 40,
      cwd: command.cwd,
      env,
    });
    let screen = '';
    let seconds: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      pty.write('\u0003');
      timer = setTimeout(() => {
        // The pty's child leads its own process group; end the whole group.
        try {
          process.kill(-pty.pid, 'SIGKILL');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') reject(error);
        }
      }, 2_000);
    };
    const giveUp = setTimeout(() => {
      seconds = Number.NaN;
      stop();
    }, timeoutMs);
    pty.onData((data) => {
      if (seconds !== undefined) return;
      screen += data;
      if (screen.replace(ANSI, '').includes(text)) {
        seconds = (performance.now() - started) / 1000;
        clearTimeout(giveUp);
        stop();
      }
    });
    pty.onExit(({ exitCode, signal }) => {
      clearTimeout(giveUp);
      if (timer) clearTimeout(timer);
      if (seconds !== undefined && !Number.isNaN(seconds)) resolve(seconds);
      else {
        const why =
          seconds === undefined ? `exited (${exitCode}, signal ${signal ?? 0})` : 'timed out';
        reject(
          new Error(
            `${describeCommand(command)} ${why} before "${text}" appeared:\n${screen
              .replace(ANSI, '')
              .slice(-2000)}`,
          ),
        );
      }
    });
  });
}

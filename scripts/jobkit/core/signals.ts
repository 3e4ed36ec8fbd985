/**
 * Stop signals (Ctrl-C, a closed terminal, `kill`) in one place. Until a run writes
 * anything, a stop signal ends the process with a line of its own saying nothing was
 * written, instead of in silence right where pnpm then prints its ELIFECYCLE line.
 * Steps that must clean up first take the signals over while they run: the commit
 * and checks (core/apply.ts put the files back) and the questions of `plop job`.
 */

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What a person sees when a run stops before writing anything. */
export const STOPPED_BEFORE_WRITING = 'stopped; nothing was written';

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
};

/** The steps holding the signals now, each with its own listener. */
let takenBy = 0;
let listening = false;

/** Ends the process as `signal` would (exit 128 + its number), after saying nothing was written. */
export function stopBeforeWriting(signal: NodeJS.Signals): never {
  process.stderr.write(`\n${STOPPED_BEFORE_WRITING}\n`);
  process.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
}

/** For a command-line run: from now on, a stop signal nobody took over ends it cleanly. */
export function stopCleanlyOnSignals(): void {
  if (listening) return;
  listening = true;
  for (const signal of STOP_SIGNALS) {
    process.on(signal, () => {
      if (takenBy === 0) stopBeforeWriting(signal);
    });
  }
}

/**
 * Sends stop signals to `onSignal` until the returned function is called; meanwhile
 * they no longer end the process by themselves.
 */
export function takeSignals(onSignal: (signal: NodeJS.Signals) => void): () => void {
  takenBy += 1;
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  let given = false;
  return () => {
    if (given) return;
    given = true;
    takenBy -= 1;
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
}

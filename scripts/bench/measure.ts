import { spawnSync } from 'node:child_process';

/** A whole process to time: what `spawn` needs. */
export interface Command {
  file: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** The environment every timed process gets: this one, minus loaders and colours. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

export function describeCommand(command: Command): string {
  return [command.file, ...command.args].join(' ');
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs `command` to completion and returns its wall time in seconds; throws unless it exits 0. */
export function timeProcess(command: Command): number {
  const started = performance.now();
  const result = spawnSync(command.file, command.args, {
    cwd: command.cwd,
    env: command.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = (performance.now() - started) / 1000;
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(
      `${describeCommand(command)} exited with ${result.status ?? result.signal}:\n${tail(
        `${result.stdout.toString()}${result.stderr.toString()}`,
      )}`,
    );
  }
  return seconds;
}

/** Median, min and max of some samples, and the samples themselves. */
export interface Stats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return {
    median,
    min: sorted[0] ?? 0,
    max: sorted[sorted.length - 1] ?? 0,
    samples: [...samples],
  };
}

/** One thing measured in a round: `prepare` (untimed) resets its host, `sample` measures once. */
export interface Measured {
  name: string;
  prepare?: () => void | Promise<void>;
  sample: () => number | Promise<number>;
  /** Untimed checks after the warm-up run, e.g. that a baseline wrote what the kit writes. */
  check?: () => void;
}

/**
 * Runs every entry once untimed (warm-up: the kit's compiled cache, the file cache,
 * checks), then `runs` rounds. Each round runs every entry once, starting one later
 * than the round before, so the measured command and its baselines alternate and
 * none always goes first.
 */
export async function rounds(
  entries: readonly Measured[],
  runs: number,
  progress: (line: string) => void,
): Promise<Map<string, Stats>> {
  for (const entry of entries) {
    await entry.prepare?.();
    await entry.sample();
    entry.check?.();
  }
  const samples = new Map<string, number[]>(entries.map((entry) => [entry.name, []]));
  for (let round = 0; round < runs; round += 1) {
    for (let i = 0; i < entries.length; i += 1) {
      const entry = entries[(i + round) % entries.length];
      if (!entry) continue;
      await entry.prepare?.();
      samples.get(entry.name)?.push(await entry.sample());
    }
    progress(`round ${round + 1}/${runs}`);
  }
  return new Map([...samples].map(([name, values]) => [name, stats(values)]));
}

import { resolve } from 'node:path';
import { AnswersRejectedError } from '../core/errors.js';
import { MAX_INPUT_BYTES, readInput } from '../core/files.js';
import { diskSource, VirtualTree } from '../core/tree.js';
import { loadLayout } from '../host/config.js';
import { readQueueEntries } from '../host/read-host.js';
import { readSpec, type SpecReading } from '../spec/read-spec.js';

export { locateInSpec } from '../spec/read-spec.js';

/** A spec read for `--from-spec`, and where it came from. */
export interface SpecArgument {
  reading: SpecReading;
  /** How messages name it: the path as given, or `standard input`. */
  source: string;
}

/**
 * Reads the filled-in job prompt named by `--from-spec` (a path, or `-` for standard
 * input) against the host's queues. Refusals name the spec's lines; nothing is written.
 */
export async function readSpecArgument(
  argument: string,
  cwd: string,
  root: string,
): Promise<SpecArgument> {
  const source = argument === '-' ? 'standard input' : argument;
  let text: string | null;
  try {
    text = await readInput(
      argument === '-' ? '-' : resolve(cwd, argument),
      source,
      MAX_INPUT_BYTES,
    );
  } catch (error) {
    throw new AnswersRejectedError([{ path: '--from-spec', message: (error as Error).message }]);
  }
  if (text === null) {
    throw new AnswersRejectedError([
      {
        path: '--from-spec',
        message: `${source} does not exist; pass the filled-in job prompt (a .md file) or - for standard input`,
      },
    ]);
  }
  const queues = readQueueEntries(new VirtualTree(diskSource(root)), loadLayout(root)).map(
    (queue) => queue.key,
  );
  return { reading: readSpec(text, { source, queues }), source };
}

/** How each line was read, one line each, for the user to check before anything else. */
export function printSpecReading(spec: SpecArgument, out: NodeJS.WritableStream): void {
  const width = String(Math.max(0, ...spec.reading.lines.map(({ line }) => line))).length;
  const lines = spec.reading.lines.map(
    ({ line, reading }) => `  line ${String(line).padStart(width)}  ${reading}`,
  );
  out.write(`Read ${spec.source}:\n${lines.join('\n')}\n`);
}

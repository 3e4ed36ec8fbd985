import { HostError } from '../core/errors.js';
import { MAX_INPUT_BYTES, readBounded } from '../core/files.js';
import { parseJson } from '../core/json.js';

/** A package.json of the host, parsed, or a one-line refusal naming it and the fault. */
export function readPackageJson(path: string, label: string): Record<string, unknown> {
  const text = readBounded(path, label, MAX_INPUT_BYTES);
  if (text === null) throw new HostError(`${label}: does not exist`, label);
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (error) {
    throw new HostError(`${label}: ${(error as Error).message}; fix it and run again`, label);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new HostError(`${label}: is not a JSON object; fix it and run again`, label);
  return parsed as Record<string, unknown>;
}

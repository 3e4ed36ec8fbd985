import { resolveHostConfig } from '../host/config.js';
import type { HostLayout } from '../host/layout.js';

function show(value: HostLayout[keyof HostLayout]): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * `pnpm gen:job --print-config`: every setting the generator uses for this host,
 * with where it came from (package.json's `jobkit` section, detection, default).
 */
export function printConfig(root: string, json: boolean, out: NodeJS.WritableStream): void {
  const { layout, sources } = resolveHostConfig(root);
  if (json) {
    const settings = Object.fromEntries(
      (Object.keys(layout) as (keyof HostLayout)[]).map((key) => [
        key,
        { value: layout[key], source: sources[key] },
      ]),
    );
    out.write(`${JSON.stringify(settings, null, 2)}\n`);
    return;
  }
  const keys = Object.keys(layout) as (keyof HostLayout)[];
  const width = Math.max(...keys.map((key) => key.length));
  const lines = keys.map((key) => `${key.padEnd(width)}  ${show(layout[key])}  (${sources[key]})`);
  out.write(
    `Settings for ${root} (set any of them in the "jobkit" section of package.json):\n${lines.join('\n')}\n`,
  );
}

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { saveCache } from './files.js';

/**
 * Prettier's plugins (its parsers and printers), loaded from their script builds and
 * compiled with V8's code cache when an earlier run left one: compiling them is most
 * of their cost (the `typescript` plugin, ~0.9 MB, takes ~0.1 s to load without).
 * The formatting thread loads `babel` and `estree`; the main thread loads `babel`
 * (reading code, core/parse.ts) and `typescript` (reading the host's types,
 * host/host-types.ts). The cache sits beside the compiled kit
 * (node_modules/.cache/jobkit/<version>/v8-cache/), or in
 * node_modules/.cache/jobkit/sources-v8-cache/ for the TypeScript sources.
 */

const requireModule = createRequire(import.meta.url);
const cacheDir = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../../../node_modules/.cache/jobkit/sources-v8-cache/', import.meta.url)
    : new URL('../v8-cache/', import.meta.url),
);

interface LoadedPlugin {
  exports: unknown;
  script: Script;
  cacheFile: string;
  /** Whether the cache on disk lacks what this run compiled. */
  stale: boolean;
}

const loaded = new Map<string, LoadedPlugin>();

/** The plugin `prettier/plugins/<name>`, loaded once per thread. */
export function prettierPlugin<T>(name: 'babel' | 'estree' | 'typescript'): T {
  const known = loaded.get(name);
  if (known) return known.exports as T;
  const file = requireModule.resolve(`prettier/plugins/${name}`);
  const source = readFileSync(file, 'utf8');
  // Named by the plugin's size, so two prettier versions keep a cache each; V8 itself
  // rejects a cache made from other source or flags.
  const cacheFile = join(cacheDir, `prettier-${name}-${source.length}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet, or one that cannot be read: the plugin is compiled as usual.
  }
  const script = new Script(`(function (module, exports) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const module = { exports: {} };
  (script.runInThisContext() as (m: typeof module, e: object) => void)(module, module.exports);
  const stale = !cachedData || script.cachedDataRejected === true;
  loaded.set(name, { exports: module.exports, script, cacheFile, stale });
  return module.exports as T;
}

/**
 * Writes the code cache of every plugin loaded since the last save whose cache was
 * missing or out of date. Called once the plugins have done their work, so the cache
 * holds the functions that work compiled too.
 */
export function savePluginCaches(): void {
  for (const plugin of loaded.values()) {
    if (!plugin.stale) continue;
    plugin.stale = false;
    // One that cannot be written costs the next run the compile, nothing more.
    saveCache(plugin.cacheFile, plugin.script.createCachedData());
  }
}

// The formatting thread's entry (see FormatThread in format.ts): loads prettier and
// the plugins it formats TypeScript with, then formats what the main thread sends.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Plugin } from 'prettier';
import {
  FORMAT_THREAD,
  formatAll,
  type ClosedReply,
  type FormatReply,
  type ThreadMessage,
} from './format-files.js';

/**
 * Prettier's Babel parsers and estree printer, the same code as its built-in ones,
 * from their script builds, compiled with V8's code cache when an earlier run left
 * one (node_modules/.cache/jobkit/<version>/v8-cache/). The cache spares compiling
 * them on every run. `save()` writes the cache once the formatting has compiled what
 * it uses.
 */
function cachedPlugins(prettierVersion: string): { plugins: Plugin[]; save: () => void } {
  const require = createRequire(import.meta.url);
  const cacheDir = fileURLToPath(new URL('../v8-cache/', import.meta.url));
  const loaded = ['estree', 'babel'].map((name) => {
    const file = require.resolve(`prettier/plugins/${name}`);
    const cacheFile = join(cacheDir, `prettier-${prettierVersion}-${name}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(cacheFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const script = new Script(`(function (module, exports) {${readFileSync(file, 'utf8')}\n})`, {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
    });
    const module = { exports: {} as Plugin };
    (script.runInThisContext() as (m: typeof module, e: Plugin) => void)(module, module.exports);
    const stale = !cachedData || script.cachedDataRejected === true;
    return { plugin: module.exports, script, cacheFile, stale };
  });
  return {
    plugins: loaded.map(({ plugin }) => plugin),
    save: () => {
      // Once per run: a run sends several requests.
      for (const entry of loaded) {
        if (!entry.stale) continue;
        entry.stale = false;
        mkdirSync(dirname(entry.cacheFile), { recursive: true });
        // Renamed into place: a run starting meanwhile reads a whole cache or none.
        const temporary = `${entry.cacheFile}.${process.pid}.tmp`;
        writeFileSync(temporary, entry.script.createCachedData());
        renameSync(temporary, entry.cacheFile);
      }
    },
  };
}

/**
 * The formatting thread: loads prettier and its plugins, then formats what it is
 * sent. A `prepare` message names files about to be sent: their prettier
 * configuration is looked up meanwhile (~50 ms of file lookups), and prettier keeps
 * it for the formatting. A `close` message is answered once everything the thread
 * started has settled: stopped with a file operation in flight (prettier's own
 * loading, a configuration lookup), Node 20 can abort the whole process.
 */
function serve(port: MessagePort): void {
  const ready = import('prettier').then((prettier) => ({
    prettier,
    cache: cachedPlugins(prettier.version),
  }));
  const inFlight = new Set<Promise<unknown>>([ready]);
  const track = (work: Promise<unknown>): void => {
    inFlight.add(work);
    const settled = (): void => {
      inFlight.delete(work);
    };
    work.then(settled, settled);
  };
  port.on('message', (message: ThreadMessage) => {
    if ('close' in message) {
      void Promise.allSettled(inFlight).then(() =>
        port.postMessage({ closed: true } satisfies ClosedReply),
      );
      return;
    }
    if ('prepare' in message) {
      track(
        ready
          .then(({ prettier }) =>
            Promise.all(
              message.prepare.map((path) => prettier.resolveConfig(path, { editorconfig: true })),
            ),
          )
          .catch(() => {
            // Not reported here: the formatting request meets the same failure (prettier
            // not loading, a configuration that does not parse) and reports it.
          }),
      );
      return;
    }
    const { id, files, known } = message;
    track(
      ready
        .then(async ({ prettier, cache }) => {
          const outcomes = await formatAll(prettier, files, new Set(known), cache.plugins);
          cache.save();
          return { id, outcomes };
        })
        .then(
          (reply: FormatReply) => port.postMessage(reply),
          (error: unknown) =>
            port.postMessage({
              id,
              error: error instanceof Error ? (error.stack ?? error.message) : String(error),
            } satisfies FormatReply),
        ),
    );
  });
}

if (parentPort && workerData === FORMAT_THREAD) serve(parentPort);

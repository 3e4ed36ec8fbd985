// Runs the kit's CLI entry points from compiled JavaScript. Node 20 cannot run the
// TypeScript sources directly, and a loader such as tsx costs ~0.2 s per start,
// so the sources are compiled and bundled once into node_modules/.cache/jobkit/<version>/,
// where <version> changes whenever a source file does: an edit is never served
// stale, and two runs building at once never see each other's half-built output.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const kitRoot = fileURLToPath(new URL('../..', import.meta.url));
const sourceDir = join(kitRoot, 'scripts', 'jobkit');
// The kit's own tsconfig, extending nothing, beside a package.json marking the sources
// as ES modules: the kit builds the same in a host whatever the host's tsconfig,
// module type ("type" of its package.json) or TypeScript.
const tsconfig = join(sourceDir, 'tsconfig.json');
const cacheDir = join(kitRoot, 'node_modules', '.cache', 'jobkit');

function filesUnder(dir, extension) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path, extension);
    return entry.name.endsWith(extension) ? [path] : [];
  });
}

const templatesDir = join(kitRoot, 'plop-templates');

/**
 * A name for the current build: the paths (within the kit's folder) and contents of
 * the sources, the templates, this build script and the lockfile (the bundles hold
 * some dependencies' code). Reading them all takes about as long as a stat of each
 * (~5 ms), and the name holds nothing of where the folder is or when its files
 * were written, so a moved or copied kit reuses its build and an edit never does.
 */
function sourceVersion() {
  const hash = createHash('sha1');
  const lockfile = join(kitRoot, 'pnpm-lock.yaml');
  for (const file of [
    fileURLToPath(import.meta.url),
    ...(existsSync(lockfile) ? [lockfile] : []),
    tsconfig,
    join(sourceDir, 'package.json'),
    ...filesUnder(sourceDir, '.ts'),
    ...filesUnder(templatesDir, '.hbs'),
  ].sort()) {
    hash
      .update(`${relative(kitRoot, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The templates as handlebars precompiles them (the kit's core/templates.ts reads
 * this module): each run then skips parsing them and loads only handlebars' runtime.
 * A template that does not compile is left out, so the run compiles it and reports
 * the error where it is used.
 */
function precompiledTemplates() {
  const Handlebars = createRequire(import.meta.url)('handlebars');
  const specs = filesUnder(templatesDir, '.hbs').flatMap((file) => {
    try {
      const spec = Handlebars.precompile(readFileSync(file, 'utf8'), {
        noEscape: true,
        strict: true,
      });
      return [`  ${JSON.stringify(relative(templatesDir, file))}: ${spec}`];
    } catch {
      return [];
    }
  });
  return `export const templatesDir = ${JSON.stringify(templatesDir)};\nexport const specs = {\n${specs.join(',\n')}\n};\n`;
}

/**
 * The entry points, bundled from the TypeScript sources with the kit's small
 * dependencies (zod, change-case, diff): a run then resolves and loads a few files
 * instead of some two hundred (zod alone is over a hundred). What an entry loads
 * only on some paths, and what entries share, goes into chunks/. Entries and chunks
 * sit one folder deep, as the sources do, so a path a module builds from its own
 * URL ('../templates.js') is the same bundled or not.
 */
const ENTRIES = [
  'cli/gen-job.ts',
  'cli/jobs-doctor.ts',
  'cli/adopt.ts',
  'cli/write-schema.ts',
  'plop/plopfile.ts',
  'core/format-thread.ts',
  'core/format.ts',
  'core/signals.ts',
];

/**
 * Entries that format what they write: the formatting thread starts before they load
 * (core/format.js), and a run waits for that thread rather than for its own.
 */
const FORMATTING = new Set(['cli/gen-job.js']);
/** Left to load from node_modules: large, and used on some paths only. */
const EXTERNAL = ['prettier', 'handlebars', 'plop', 'node-plop', 'vitest', 'typescript'];
/**
 * Bundled CommonJS code (execa's cross-spawn) calls `require`, which an ES module
 * lacks: every bundle gets one. execa is bundled because, as ~50 modules, it took
 * ~160 ms to load against ~40 ms as one chunk, and a verified run starts vitest
 * only once it has loaded.
 */
const COMMONJS_REQUIRE =
  "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);";

/**
 * Bundles the entries into `outDir` straight from the sources. esbuild only strips
 * the types (the sources are written for that: isolatedModules, verbatimModuleSyntax),
 * so the build needs no TypeScript and takes well under a second, whatever
 * TypeScript the host has; the repository's own `pnpm typecheck` checks the types.
 */
function bundleEntries(outDir) {
  const esbuild = createRequire(import.meta.url)('esbuild');
  esbuild.buildSync({
    entryPoints: ENTRIES.map((entry) => join(sourceDir, entry)),
    outdir: outDir,
    outbase: sourceDir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig,
    external: EXTERNAL,
    banner: { js: COMMONJS_REQUIRE },
    sourcemap: 'linked',
    logLevel: 'silent',
  });
}

function build(outDir) {
  const staging = `${outDir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  try {
    bundleEntries(staging);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // esbuild's own process ended under it: Ctrl-C reached it as well.
    if (/service was stopped/.test(error.message)) stop('SIGINT');
    process.stderr.write(`The job kit does not build (${sourceDir}):\n${error.message}\n`);
    process.exit(1);
  }
  writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(staging, 'templates.js'), precompiledTemplates());
  try {
    renameSync(staging, outDir);
  } catch (error) {
    // Another run finished the same version first; its output is identical.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(outDir)) throw error;
  }
  // Versions other runs may still be reading are kept for a while.
  const stale = Date.now() - 10 * 60 * 1000;
  for (const entry of readdirSync(cacheDir)) {
    const path = join(cacheDir, entry);
    if (path !== outDir && !entry.endsWith('.tmp') && statSync(path).mtimeMs < stale) {
      rmSync(path, { recursive: true, force: true });
    }
  }
}

/**
 * The folder holding the compiled kit, built first if the sources changed. Installing
 * the repository builds it (scripts/bin/build-kit.mjs, the root package's
 * `postinstall`); a run that builds it, after an edit of the kit, says so at a
 * terminal rather than wait seconds in silence.
 */
export function ensureBuilt() {
  const outDir = join(cacheDir, sourceVersion());
  if (!existsSync(outDir)) {
    if (process.stderr.isTTY) {
      process.stderr.write('Compiling the job kit (once after it is installed or changed)...\n');
    }
    mkdirSync(cacheDir, { recursive: true });
    build(outDir);
  }
  return outDir;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Ctrl-C while the kit compiles reaches the compiler too: the run ends as the signal
 * would, saying so on a line of its own (core/signals.ts does the same once loaded).
 */
function stop(signal) {
  process.stderr.write('\nstopped; nothing was written\n');
  process.exit(128 + SIGNAL_NUMBERS[signal]);
}

/**
 * Loads the compiled kit (built first if need be) with stop signals handled: until a
 * run takes them over to clean up, they end it saying nothing was written.
 */
export async function loadKit() {
  // Listened for from the start: without a listener Node would die of the signal at
  // once, in silence, while the compiler runs.
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  const built = ensureBuilt();
  const signals = await import(pathToFileURL(join(built, 'core/signals.js')).href);
  signals.stopCleanlyOnSignals();
  for (const signal of STOP_SIGNALS) process.off(signal, stop);
  return built;
}

/** Imports `entry` (e.g. `cli/gen-job.js`) from the compiled kit and runs its `main`. */
export async function runEntry(entry, argv) {
  const built = await loadKit();
  if (FORMATTING.has(entry)) {
    const format = await import(pathToFileURL(join(built, 'core/format.js')).href);
    format.startFormatThread();
  }
  const module = await import(pathToFileURL(join(built, entry)).href);
  return module.main(argv, { kitRoot });
}

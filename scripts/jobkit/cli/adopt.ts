import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KitError } from '../core/errors.js';
import type { CliContext } from './gen-job.js';

const USAGE = `Usage: pnpm jobkit:adopt <dir> [--no-install]

Adopts the job kit into the pnpm monorepo at <dir>: copies plopfile.ts,
plop-templates/ and the kit's scripts (scripts/bin, scripts/jobkit) without
touching any file the host already has, adds the package scripts plop, gen:job and
jobs:doctor, and the dev dependencies the kit needs that the host lacks. The host's
"type", TypeScript, prettier and pnpm stay as they are. Then installs with the
host's own pnpm (the version its "packageManager" pins), builds the kit and prints
the settings it detected and the doctor's report.

Options:
  --no-install  change the files only; install and check later yourself
  --help        show this text`;

/** What the kit consists of, relative to its root (spec files stay behind). */
const KIT_PATHS = [
  'plopfile.ts',
  'plop-templates',
  'scripts/bin',
  'scripts/jobkit',
  'scripts/job-answers.schema.json',
];
const LEFT_BEHIND = /\.spec\.ts$/;

/** The package scripts a host gets, as `node` commands: they need no particular pnpm. */
const SCRIPTS: Record<string, string> = {
  plop: 'node scripts/bin/plop.mjs --no-progress',
  'gen:job': 'node scripts/bin/gen-job.mjs',
  'jobs:doctor': 'node scripts/bin/jobs-doctor.mjs',
};

/** The kit's run-time and build dependencies; a host keeps its own version of any it has. */
const KIT_DEPENDENCIES = [
  '@types/node',
  'change-case',
  'diff',
  'esbuild',
  'execa',
  'handlebars',
  'plop',
  'prettier',
  'typescript',
  'zod',
];

interface Manifest {
  packageManager?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

function filesUnder(root: string, path: string): string[] {
  const absolute = join(root, path);
  if (!existsSync(absolute)) return [];
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) =>
    filesUnder(root, `${path}/${entry.name}`),
  );
}

/** The kit's files to copy: every file of KIT_PATHS but the kit's own tests. */
export function kitFiles(kitRoot: string): string[] {
  return KIT_PATHS.flatMap((path) => filesUnder(kitRoot, path)).filter(
    (file) => !LEFT_BEHIND.test(file),
  );
}

function readManifest(path: string): { manifest: Manifest; text: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new KitError(`${path}: not found; give the root folder of a pnpm monorepo`, path);
  }
  try {
    return { manifest: JSON.parse(text) as Manifest, text };
  } catch (error) {
    throw new KitError(
      `${path}: is not valid JSON (${(error as Error).message}); fix it first`,
      path,
    );
  }
}

/** The manifest's text after the changes, indented as the host indents it. */
function manifestText(original: string, manifest: Manifest): string {
  const indent = /^[ \t]+(?=")/m.exec(original)?.[0] ?? '  ';
  const newline = original.endsWith('\n') ? '\n' : '';
  return JSON.stringify(manifest, null, indent) + newline;
}

export interface AdoptionPlan {
  copied: string[];
  /** Files the host already has with the kit's exact bytes (an earlier adoption). */
  alreadyThere: string[];
  scripts: string[];
  dependencies: Record<string, string>;
  manifest: string | undefined;
}

/**
 * What adopting the kit into `host` changes. Throws, before anything is written,
 * when a file or package script of the host would be overwritten.
 */
export function planAdoption(kitRoot: string, host: string): AdoptionPlan {
  const { manifest, text } = readManifest(join(host, 'package.json'));
  const { manifest: kitManifest } = readManifest(join(kitRoot, 'package.json'));
  const plan: AdoptionPlan = {
    copied: [],
    alreadyThere: [],
    scripts: [],
    dependencies: {},
    manifest: undefined,
  };
  const clashes: string[] = [];
  for (const file of kitFiles(kitRoot)) {
    const target = join(host, file);
    if (!existsSync(target)) plan.copied.push(file);
    else if (readFileSync(target).equals(readFileSync(join(kitRoot, file))))
      plan.alreadyThere.push(file);
    else clashes.push(file);
  }
  const scripts = { ...manifest.scripts };
  for (const [name, command] of Object.entries(SCRIPTS)) {
    if (scripts[name] === undefined) {
      scripts[name] = command;
      plan.scripts.push(name);
    } else if (scripts[name] !== command) clashes.push(`package.json scripts.${name}`);
  }
  if (clashes.length > 0) {
    throw new KitError(
      `${host}: the kit would overwrite ${clashes.join(', ')}; rename or remove them, then adopt again`,
    );
  }
  const has = { ...manifest.dependencies, ...manifest.devDependencies };
  for (const name of KIT_DEPENDENCIES) {
    const version = kitManifest.devDependencies?.[name];
    if (has[name] === undefined && version !== undefined) plan.dependencies[name] = version;
  }
  if (plan.scripts.length > 0 || Object.keys(plan.dependencies).length > 0) {
    // Kept in order when the host keeps them sorted, else added at the end.
    const names = Object.keys(manifest.devDependencies ?? {});
    const sorted = names.every((name, index) => index === 0 || names[index - 1]! < name);
    const entries = Object.entries({ ...manifest.devDependencies, ...plan.dependencies });
    const devDependencies = Object.fromEntries(
      sorted ? entries.sort(([a], [b]) => (a < b ? -1 : 1)) : entries,
    );
    plan.manifest = manifestText(text, { ...manifest, scripts, devDependencies });
  }
  return plan;
}

/**
 * The host's pnpm: the version its `packageManager` pins, run through npx, so a
 * global pnpm of another major (which may refuse to switch) is never involved.
 */
export function hostPnpm(host: string): { file: string; args: string[] } {
  const { manifest } = readManifest(join(host, 'package.json'));
  const pinned = /^pnpm@(\d[^+\s]*)/.exec(manifest.packageManager ?? '')?.[1];
  return pinned ? { file: 'npx', args: ['-y', `pnpm@${pinned}`] } : { file: 'pnpm', args: [] };
}

function run(file: string, args: string[], cwd: string, out: NodeJS.WritableStream): number {
  out.write(`$ ${[file, ...args].join(' ')}\n`);
  const result = spawnSync(file, args, {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  out.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.error) out.write(`${result.error.message}\n`);
  return result.status ?? 1;
}

/** `pnpm jobkit:adopt <dir>`: returns the exit code. */
export async function main(argv: string[], context: CliContext): Promise<number> {
  const {
    kitRoot,
    cwd = process.cwd(),
    stdout = process.stdout,
    stderr = process.stderr,
  } = context;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'no-install': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) {
      stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1)
      throw new KitError(`give one folder to adopt the kit into; see --help`);
    const host = resolve(cwd, positionals[0] ?? '');
    if (host === resolve(kitRoot))
      throw new KitError(`${host}: is the kit itself; give another monorepo`);
    const plan = planAdoption(kitRoot, host);
    for (const file of plan.copied) {
      mkdirSync(dirname(join(host, file)), { recursive: true });
      cpSync(join(kitRoot, file), join(host, file), { preserveTimestamps: true });
    }
    if (plan.manifest !== undefined) writeFileSync(join(host, 'package.json'), plan.manifest);
    stdout.write(
      [
        `Adopted the job kit into ${host}`,
        `  copied    ${plan.copied.length} files (${plan.alreadyThere.length} already there)`,
        `  scripts   ${plan.scripts.join(', ') || '(all there)'}`,
        `  devDependencies added  ${
          Object.entries(plan.dependencies)
            .map(([name, version]) => `${name}@${version}`)
            .join(', ') || '(none: the host has them all)'
        }`,
        '',
      ].join('\n'),
    );
    if (values['no-install']) {
      const pnpm = hostPnpm(host);
      stdout.write(
        `Next: ${[pnpm.file, ...pnpm.args].join(' ')} install, then node scripts/bin/gen-job.mjs --print-config and node scripts/bin/jobs-doctor.mjs\n`,
      );
      return 0;
    }
    const installed = existsSync(join(host, 'node_modules', '.modules.yaml'));
    if (Object.keys(plan.dependencies).length > 0 || !installed) {
      const pnpm = hostPnpm(host);
      // In an installed host only the root's dependencies changed: the workspace's
      // packages keep what they have (a host may have installed only some of them).
      // The lockfile must take the added dependencies, also where CI makes pnpm
      // default to a frozen one.
      const args = ['install', '--no-frozen-lockfile', ...(installed ? ['--filter', '.'] : [])];
      if (run(pnpm.file, [...pnpm.args, ...args], host, stdout) !== 0)
        throw new KitError(`${host}: pnpm install failed (above); fix it, then run it again`);
    }
    const node = process.execPath;
    if (run(node, ['scripts/bin/gen-job.mjs', '--print-config'], host, stdout) !== 0)
      throw new KitError(`${host}: the kit does not run there (above)`);
    // The doctor's findings are the host's to act on; adoption succeeded either way.
    run(node, ['scripts/bin/jobs-doctor.mjs'], host, stdout);
    return 0;
  } catch (error) {
    if (!(error instanceof KitError) && !(error instanceof TypeError)) throw error;
    stderr.write(`jobkit:adopt: ${error.message}\n`);
    return error instanceof TypeError ? 2 : 1;
  }
}

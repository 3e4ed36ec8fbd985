// `pnpm bench`: times the job kit against baselines run in the same session, in
// alternation, and writes every figure to bench/results.json. See README.md,
// "Performance". Nothing here is a pass/fail test: targets are reported, not asserted.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as prettier from 'prettier';
import { DEFAULT_LAYOUT, jobFiles } from '../jobkit/host/layout.js';
import { jobNames } from '../jobkit/job/names.js';
import { editScript, writeBaselines } from './baselines.js';
import {
  captureGeneration,
  copyHost,
  HostSnapshot,
  letters,
  SEED_NAME,
  synthesizeJobs,
  type GeneratedFile,
} from './hosts.js';
import {
  cleanEnv,
  describeCommand,
  rounds,
  stats,
  timeProcess,
  type Command,
  type Measured,
  type Stats,
} from './measure.js';
import { timeToText } from './pty.js';

const kitRoot = fileURLToPath(new URL('../..', import.meta.url));
const SUITES = ['scripted', 'verified', 'scale', 'batch', 'runtime', 'interactive'] as const;
type Suite = (typeof SUITES)[number];

const USAGE = `Usage: pnpm bench [options]

  --runs N          timed runs of every command (default 10), after one warm-up run
  --only LIST       suites to run, comma-separated: ${SUITES.join(', ')}
  --small N         jobs in the small host (default 10)
  --large N         jobs in the large host (default 1000)
  --runtime-jobs N  jobs each throughput sample times (default 10000)
  --runtime-warmup N  jobs each throughput sample runs untimed first (default 2000)
  --batch N         jobs in the batch answers file (default 20)
  --out FILE        where the results go (default bench/results.json)
  --keep            keep the temporary hosts (their folder is printed)`;

const { values: options } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    only: { type: 'string', default: SUITES.join(',') },
    small: { type: 'string', default: '10' },
    large: { type: 'string', default: '1000' },
    'runtime-jobs': { type: 'string', default: '10000' },
    'runtime-warmup': { type: 'string', default: '2000' },
    batch: { type: 'string', default: '20' },
    out: { type: 'string', default: join(kitRoot, 'bench', 'results.json') },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a whole number ≥ 1`);
  return value;
}
const runs = positive('runs', options.runs);
const smallCount = positive('small', options.small);
const largeCount = positive('large', options.large);
const runtimeJobs = positive('runtime-jobs', options['runtime-jobs']);
const runtimeWarmup = positive('runtime-warmup', options['runtime-warmup']);
const batchSize = positive('batch', options.batch);
const suites = options.only.split(',').map((name) => name.trim());
for (const suite of suites) {
  if (!(SUITES as readonly string[]).includes(suite)) {
    throw new Error(`--only: unknown suite ${suite} (known: ${SUITES.join(', ')})`);
  }
}
const enabled = (suite: Suite): boolean => suites.includes(suite);

const log = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};

// Tools, each run the way its own bin entry runs it: node plus the entry file.
const require = createRequire(import.meta.url);
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));
const node = process.execPath;
const genJob = join(kitRoot, 'scripts/bin/gen-job.mjs');
const plopBin = join(kitRoot, 'node_modules/plop/bin/plop.js');
const tscBin = join(packageDir('typescript'), 'bin/tsc');
const vitestBin = join(packageDir('vitest'), 'vitest.mjs');
const prettierUrl = import.meta.resolve('prettier');

// The job every single-job measurement generates: the README's worked example.
const measuredAnswers = join(kitRoot, 'test/answers/audit-log-export.json');
const measuredNames = jobNames('AUDIT_LOG_EXPORT');
// A job with no fields and no side effects: what the generated wrapper alone
// (validation, logging, timeout, result) costs at run time.
const minimalAnswers = join(kitRoot, 'test/answers/minimal.json');
const minimalNames = jobNames('CACHE_WARMUP');
const layout = DEFAULT_LAYOUT;
const sharedFiles = [
  layout.queuesFile,
  layout.sharedIndexFile,
  layout.workerFile,
  layout.queueServiceFile,
];
const filesOf = (kebab: string): string[] => {
  const own = jobFiles(layout, { kebab });
  return [...sharedFiles, own.contract, own.handler, own.handlerTest];
};
const AFFECTED_PROJECTS = ['packages/shared', 'apps/api', 'apps/worker'];

/** A job that no host has yet, with a few fields and side effects, to clone into hosts. */
const seedAnswers = {
  name: SEED_NAME,
  purpose: 'Rebuilds the search index of one organization',
  trigger: 'Nightly, and when an admin asks for a rebuild',
  fields: [
    { name: 'orgId', type: 'string (uuid)', required: true, description: 'The organization' },
    { name: 'limit', type: 'integer', required: false, description: 'Most documents per run' },
  ],
  sideEffects: { database: true, other: ['Refreshes the search cache'] },
};

function kit(root: string, answers: string, verify: boolean): Command {
  return {
    file: node,
    args: [genJob, '--root', root, '--answers', answers, ...(verify ? [] : ['--no-verify'])],
    cwd: kitRoot,
  };
}

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  return path;
}

/** Fails unless `root` holds exactly the files the kit wrote for the measured job. */
function expectFiles(root: string, expected: readonly GeneratedFile[], who: string): void {
  for (const file of expected) {
    if (readFileSync(join(root, file.path), 'utf8') !== file.after) {
      throw new Error(`${who}: ${file.path} differs from what the kit writes`);
    }
  }
}

/** Fails unless prettier leaves the host's shared files as they are. */
async function expectFormatted(root: string): Promise<void> {
  for (const path of sharedFiles) {
    const filepath = join(root, path);
    const config = (await prettier.resolveConfig(filepath, { editorconfig: true })) ?? {};
    if (!(await prettier.check(readFileSync(filepath, 'utf8'), { ...config, filepath }))) {
      throw new Error(`${filepath}: the synthesized host is not prettier-formatted`);
    }
  }
}

function queueKeys(root: string): string[] {
  return [...readFileSync(join(root, layout.queuesFile), 'utf8').matchAll(/^\s+(\w+): '/gm)].map(
    (match) => match[1] ?? '',
  );
}

function countQueues(root: string): number {
  return queueKeys(root).length;
}

// ---------------------------------------------------------------------------------
// Set-up: three hosts (small, large, small with the measured job) and the baselines.

const workDir = mkdtempSync(join(tmpdir(), 'forgestack-bench-'));
type Unit = 's' | 'jobs/s' | 'µs/job';
const results = new Map<string, { unit: Unit; stats: Stats; command: string }>();

function record(
  measured: Map<string, Stats>,
  entries: readonly (Measured & { command: string; unit?: Unit })[],
): void {
  for (const entry of entries) {
    const value = measured.get(entry.name);
    if (value)
      results.set(entry.name, { unit: entry.unit ?? 's', stats: value, command: entry.command });
  }
}

function median(name: string): number {
  const value = results.get(name);
  if (!value) throw new Error(`no measurement ${name}`);
  return value.stats.median;
}

/** A measured whole process; `host` is put back before every run when given. */
function processEntry(
  name: string,
  command: Command,
  host?: HostSnapshot,
  check?: () => void,
): Measured & { command: string } {
  return {
    name,
    command: describeCommand(command),
    ...(host ? { prepare: () => host.restore() } : {}),
    sample: () => timeProcess(command),
    ...(check ? { check } : {}),
  };
}

// Other work on the machine skews every figure; the ratios less so, as each pair
// runs in alternation. The load is recorded with the results.
const loadAtStart = loadavg()[0] ?? 0;

async function main(): Promise<void> {
  log(`working in ${workDir}`);
  if (loadAtStart > cpus().length / 2) {
    log(
      `warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores; timings will be high`,
    );
  }
  // The measured and seed jobs must be new to the hosts, even if someone generated
  // them into this repository (the README's worked example is the measured job).
  const ownJobs = [measuredNames.constant, minimalNames.constant, jobNames(SEED_NAME).constant];
  const copyBaseHost = (root: string): void => {
    copyHost(kitRoot, root);
    for (const constant of ownJobs) {
      if (queueKeys(root).includes(constant)) {
        const removal = spawnSync(
          node,
          [
            join(kitRoot, 'scripts/bin/gen-job.mjs'),
            '--root',
            root,
            '--remove',
            constant,
            '--no-verify',
          ],
          { encoding: 'utf8' },
        );
        if (removal.status !== 0)
          throw new Error(`removing ${constant} from ${root} failed:\n${removal.stderr}`);
      }
    }
  };
  const existing =
    countQueues(kitRoot) -
    ownJobs.filter((constant) => queueKeys(kitRoot).includes(constant)).length;
  if (smallCount < existing || largeCount < existing) {
    throw new Error(`the hosts need at least the repository's own ${existing} jobs`);
  }

  log('building the hosts');
  const smallRoot = join(workDir, `host-${smallCount}`);
  copyBaseHost(smallRoot);
  const seedKebab = jobNames(SEED_NAME).kebab;
  const pristine = new HostSnapshot(smallRoot);
  const seed = captureGeneration(smallRoot, filesOf(seedKebab), () =>
    timeProcess(kit(smallRoot, writeJson(join(workDir, 'seed.json'), seedAnswers), false)),
  );
  pristine.restore();
  synthesizeJobs(smallRoot, seed, smallCount - existing);
  await expectFormatted(smallRoot);
  const small = new HostSnapshot(smallRoot);

  const largeRoot = join(workDir, `host-${largeCount}`);
  copyBaseHost(largeRoot);
  synthesizeJobs(largeRoot, seed, largeCount - existing);
  await expectFormatted(largeRoot);
  const large = new HostSnapshot(largeRoot);

  // The small host after the kit wrote and verified the measured job: what the bare
  // tools check, what the baselines must reproduce, and where the handler runs.
  const doneRoot = join(workDir, `host-${smallCount}-generated`);
  copyBaseHost(doneRoot);
  synthesizeJobs(doneRoot, seed, smallCount - existing);
  const expected = captureGeneration(doneRoot, filesOf(measuredNames.kebab), () =>
    timeProcess(kit(doneRoot, measuredAnswers, true)),
  );
  const baselines = writeBaselines(workDir, editScript(expected), measuredNames.kebab, prettierUrl);
  const expectMeasured = (who: string) => () => expectFiles(smallRoot, expected, who);

  const progress = (suite: string) => (line: string) => log(`${suite}: ${line}`);

  if (enabled('scripted')) {
    log(`scripted: ${runs} runs`);
    const entries = [
      processEntry(
        'scripted.kit',
        kit(smallRoot, measuredAnswers, false),
        small,
        expectMeasured('gen:job'),
      ),
      processEntry('scripted.node-e-0', { file: node, args: ['-e', '0'], cwd: kitRoot }),
      processEntry(
        'scripted.plain-edits',
        { file: node, args: [baselines.plainEdits, smallRoot], cwd: kitRoot },
        small,
        expectMeasured('plain edits'),
      ),
      processEntry(
        'scripted.plain-edits-prettier',
        { file: node, args: [baselines.plainEditsPrettier, smallRoot], cwd: kitRoot },
        small,
        expectMeasured('plain edits + prettier'),
      ),
      processEntry(
        'scripted.plop-tsx',
        {
          file: node,
          args: [
            '--import',
            'tsx',
            plopBin,
            '--no-progress',
            '--plopfile',
            baselines.plopfile,
            '--dest',
            smallRoot,
            'job',
            measuredNames.constant,
          ],
          cwd: kitRoot,
        },
        small,
        expectMeasured('plop'),
      ),
    ];
    record(await rounds(entries, runs, progress('scripted')), entries);
  }

  if (enabled('verified')) {
    log(`verified: ${runs} runs`);
    const toolEnv = cleanEnv({ CI: 'true' });
    const entries = [
      processEntry(
        'verified.kit',
        kit(smallRoot, measuredAnswers, true),
        small,
        expectMeasured('gen:job'),
      ),
      processEntry('verified.prettier', {
        file: node,
        args: [baselines.prettierFormat, doneRoot],
        cwd: kitRoot,
      }),
      ...AFFECTED_PROJECTS.map((project) =>
        processEntry(`verified.tsc.${project.replace('/', '-')}`, {
          file: node,
          args: [tscBin, '-p', project, '--noEmit'],
          cwd: doneRoot,
          env: toolEnv,
        }),
      ),
      processEntry('verified.vitest', {
        file: node,
        args: [vitestBin, 'run', `src/handlers/__tests__/${measuredNames.kebab}.handler.spec.ts`],
        cwd: join(doneRoot, 'apps/worker'),
        env: toolEnv,
      }),
    ];
    record(await rounds(entries, runs, progress('verified')), entries);
  }

  if (enabled('scale')) {
    log(`scale: ${runs} runs`);
    const entries = [
      processEntry(`scale.kit-${smallCount}`, kit(smallRoot, measuredAnswers, false), small),
      processEntry(`scale.kit-${largeCount}`, kit(largeRoot, measuredAnswers, false), large),
    ];
    record(await rounds(entries, runs, progress('scale')), entries);
  }

  if (enabled('batch')) {
    log(`batch: ${runs} runs`);
    const templates = ['audit-log-export', 'minimal', 'every-side-effect'].map(
      (name) =>
        JSON.parse(readFileSync(join(kitRoot, `test/answers/${name}.json`), 'utf8')) as Record<
          string,
          unknown
        >,
    );
    const batch = Array.from({ length: batchSize }, (_, index) => ({
      ...templates[index % templates.length],
      name: `Batch ${letters(index)}`,
    }));
    const batchFile = writeJson(join(workDir, 'many.json'), batch);
    const entries = [
      processEntry(`batch.kit-${batchSize}`, kit(smallRoot, batchFile, true), small),
      processEntry('batch.kit-1', kit(smallRoot, measuredAnswers, true), small),
    ];
    record(await rounds(entries, runs, progress('batch')), entries);
  }

  if (enabled('runtime')) {
    log(`runtime: ${runs} runs of ${runtimeJobs} jobs, after ${runtimeWarmup} untimed`);
    const data = {
      orgId: '3f1c2a4e-8b7d-4c6a-9e5f-1a2b3c4d5e6f',
      userId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      userEmail: 'ada@example.com',
      startDate: '2026-01-01T00:00:00.000Z',
      endDate: '2026-01-31T23:59:59.999Z',
      filters: { action: 'login' },
    };
    let sampleCount = 0;
    // The worker process's CPU time per job, next to each throughput sample: where
    // the time goes, independent of how busy Redis and the machine are.
    const cpuPerJob = new Map<string, number[]>();
    // What the measured handler returned, for the bare processor that returns the
    // same value; the untimed warm-up round runs the generated handler first.
    let generatedResult: string | undefined;
    // The minimal job joins the host that already holds the measured one; no suite
    // after this one uses that host.
    timeProcess(kit(doneRoot, minimalAnswers, false));
    const measuredJob = { names: measuredNames, data };
    // The minimal job declares no fields, and its contract keeps only declared ones:
    // it gets the same payload as the bare processors, so BullMQ moves the same bytes
    // for both and the ratio shows the handler's own cost alone.
    const minimalJob = { names: minimalNames, data };
    /**
     * `label` names the figure; `handled` is the generated job the sample runs, or,
     * for the bare processors, whose data they get and ignore.
     */
    const throughput = (
      label: string,
      processor: 'bare' | 'bare-signal' | 'bare-signal-result' | 'generated' | 'handwritten',
      handled: { names: typeof measuredNames; data: object } = measuredJob,
    ): Measured & {
      command: string;
      unit: 'jobs/s';
    } => {
      const command = (prefix: string): Command => ({
        file: node,
        args: [
          '--import',
          'tsx',
          join(kitRoot, 'scripts/bench/runtime-worker.ts'),
          '--processor',
          processor,
          '--host',
          doneRoot,
          '--handler',
          join(doneRoot, jobFiles(layout, handled.names).handler),
          '--factory',
          `create${handled.names.pascal}Handler`,
          '--data',
          JSON.stringify(handled.data),
          '--jobs',
          String(runtimeJobs),
          '--warmup',
          String(runtimeWarmup),
          '--concurrency',
          '10',
          '--prefix',
          prefix,
          ...(processor === 'bare-signal-result'
            ? ['--result', generatedResult ?? '<result>']
            : []),
        ],
        cwd: kitRoot,
        env: cleanEnv({ LOG_LEVEL: 'silent' }),
      });
      return {
        name: `runtime.${label}`,
        unit: 'jobs/s',
        // Read once the samples have run, so it shows the result that was returned.
        get command() {
          return describeCommand(command('bench-<pid>-<n>'));
        },
        sample: () => {
          if (processor === 'bare-signal-result' && generatedResult === undefined) {
            throw new Error('runtime.bare-signal-result runs after the generated handler');
          }
          sampleCount += 1;
          const run = command(`bench-${process.pid}-${sampleCount}`);
          const result = spawnSync(run.file, run.args, {
            cwd: run.cwd,
            env: run.env,
            encoding: 'utf8',
          });
          if (result.status !== 0) {
            throw new Error(`${describeCommand(run)} failed:\n${result.stdout}${result.stderr}`);
          }
          const {
            jobs,
            seconds,
            cpuMicrosPerJob,
            result: returned,
          } = JSON.parse(result.stdout) as {
            jobs: number;
            seconds: number;
            cpuMicrosPerJob: number;
            result: unknown;
          };
          if (label === 'generated') generatedResult = JSON.stringify(returned);
          cpuPerJob.get(`runtime.${label}`)?.push(cpuMicrosPerJob);
          return jobs / seconds;
        },
      };
    };
    const entries = [
      throughput('generated', 'generated'),
      throughput('handwritten', 'handwritten'),
      throughput('bare', 'bare'),
      throughput('generated-minimal', 'generated', minimalJob),
      throughput('bare-signal', 'bare-signal'),
      throughput('bare-signal-result', 'bare-signal-result'),
    ];
    for (const entry of entries) cpuPerJob.set(entry.name, []);
    record(await rounds(entries, runs, progress('runtime')), entries);
    for (const entry of entries) {
      // The first sample is the untimed warm-up run.
      const samples = cpuPerJob.get(entry.name)?.slice(1) ?? [];
      if (samples.length > 0) {
        results.set(`${entry.name}.cpu`, {
          unit: 'µs/job',
          stats: stats(samples),
          command: entry.command,
        });
      }
    }
  }

  if (enabled('interactive')) {
    log(`interactive: ${runs} runs`);
    const prompt = 'Job name';
    const env = cleanEnv();
    // The command `pnpm plop` runs, as the host's package.json has it.
    const manifest = JSON.parse(readFileSync(join(smallRoot, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    const [program, ...scriptArgs] = (manifest.scripts?.plop ?? '').split(' ');
    if (program !== 'node') {
      throw new Error(`the plop script should run node, not: ${manifest.scripts?.plop ?? ''}`);
    }
    const barePlopArgs = ['--import', 'tsx', 'node_modules/plop/bin/plop.js', '--no-progress'];
    const screens: [string, Command][] = [
      ['interactive.pnpm-plop-job', { file: 'pnpm', args: ['plop', 'job'], cwd: smallRoot, env }],
      [
        'interactive.node-plop-job',
        { file: node, args: [...scriptArgs, 'job'], cwd: smallRoot, env },
      ],
      [
        'interactive.plop-tsx',
        {
          file: node,
          args: [...barePlopArgs, '--plopfile', baselines.plopfile, '--dest', smallRoot, 'job'],
          cwd: kitRoot,
          env,
        },
      ],
    ];
    const entries = screens.map(([name, command]) => ({
      name,
      command: describeCommand(command),
      prepare: () => small.restore(),
      sample: () => timeToText(command, prompt),
    }));
    record(await rounds(entries, runs, progress('interactive')), entries);
  }

  // As they were built, for a look with --keep.
  small.restore();
  large.restore();
  report();
}

// ---------------------------------------------------------------------------------
// Report: the table, the ratios, the targets, the summary line and results.json.

interface Ratio {
  value: number;
  of: string;
  to: string;
}
interface Target {
  description: string;
  value: number;
  unit: string;
  limit: number;
  comparison: '<=' | '>=';
  met: boolean;
}

function report(): void {
  const ratios: Record<string, Ratio> = {};
  const ratio = (name: string, of: string, to: string): void => {
    if (results.has(of) && results.has(to)) {
      ratios[name] = { value: median(of) / median(to), of, to };
    }
  };
  ratio('scripted.kit/plop-tsx', 'scripted.kit', 'scripted.plop-tsx');
  ratio('scripted.kit/node-e-0', 'scripted.kit', 'scripted.node-e-0');
  ratio('scripted.kit/plain-edits', 'scripted.kit', 'scripted.plain-edits');
  ratio('scripted.kit/plain-edits-prettier', 'scripted.kit', 'scripted.plain-edits-prettier');

  const tools = [
    'verified.prettier',
    ...AFFECTED_PROJECTS.map((project) => `verified.tsc.${project.replace('/', '-')}`),
    'verified.vitest',
  ];
  const derived: Record<string, { unit: 's'; median: number; of: string[] }> = {};
  if (tools.every((name) => results.has(name))) {
    const sum = tools.reduce((total, name) => total + median(name), 0);
    derived['verified.tools-sum'] = { unit: 's', median: sum, of: tools };
    ratios['verified.kit/tools-sum'] = {
      value: median('verified.kit') / sum,
      of: 'verified.kit',
      to: 'verified.tools-sum',
    };
  }
  ratio(
    `scale.kit-${largeCount}/kit-${smallCount}`,
    `scale.kit-${largeCount}`,
    `scale.kit-${smallCount}`,
  );
  ratio(`batch.kit-${batchSize}/kit-1`, `batch.kit-${batchSize}`, 'batch.kit-1');
  ratio('runtime.generated/handwritten', 'runtime.generated', 'runtime.handwritten');
  ratio('runtime.generated/bare', 'runtime.generated', 'runtime.bare');
  ratio('runtime.generated/bare-signal', 'runtime.generated', 'runtime.bare-signal');
  ratio('runtime.generated/bare-signal-result', 'runtime.generated', 'runtime.bare-signal-result');
  ratio('runtime.generated-minimal/bare', 'runtime.generated-minimal', 'runtime.bare');
  ratio(
    'interactive.pnpm-plop-job/node-plop-job',
    'interactive.pnpm-plop-job',
    'interactive.node-plop-job',
  );
  ratio('interactive.node-plop-job/plop-tsx', 'interactive.node-plop-job', 'interactive.plop-tsx');

  const targets: Record<string, Target> = {};
  const target = (
    id: string,
    description: string,
    value: number | undefined,
    unit: string,
    comparison: '<=' | '>=',
    limit: number,
  ): void => {
    if (value === undefined) return;
    const met = comparison === '<=' ? value <= limit : value >= limit;
    targets[id] = { description, value, unit, limit, comparison, met };
  };
  const has = (name: string): number | undefined => (results.has(name) ? median(name) : undefined);
  target(
    '1.scripted.seconds',
    'scripted generation, --no-verify',
    has('scripted.kit'),
    's',
    '<=',
    0.45,
  );
  target(
    '1.scripted.vs-plop',
    'scripted generation / bare plop + tsx',
    ratios['scripted.kit/plop-tsx']?.value,
    '×',
    '<=',
    1.0,
  );
  target('2.verified.seconds', 'verified generation', has('verified.kit'), 's', '<=', 1.5);
  target(
    '2.verified.vs-tools',
    'verified generation / sum of the bare tools',
    ratios['verified.kit/tools-sum']?.value,
    '×',
    '<=',
    1.3,
  );
  target(
    '3.scale',
    `generation with ${largeCount} jobs / with ${smallCount}`,
    ratios[`scale.kit-${largeCount}/kit-${smallCount}`]?.value,
    '×',
    '<=',
    1.05,
  );
  target(
    '4.batch',
    `${batchSize} jobs in one verified run / one job`,
    ratios[`batch.kit-${batchSize}/kit-1`]?.value,
    '×',
    '<=',
    3,
  );
  target(
    '5.runtime',
    'generated handler throughput / the same job written by hand',
    ratios['runtime.generated/handwritten']?.value,
    '×',
    '>=',
    0.9,
  );
  // As for every target, the command the package script runs is timed (node …);
  // pnpm's own start-up (interactive.pnpm-plop-job) is reported beside it.
  target(
    '6.interactive.seconds',
    'plop job (the script pnpm plop runs) to the first question',
    has('interactive.node-plop-job'),
    's',
    '<=',
    0.8,
  );

  const fmt = (value: number, unit: string): string =>
    unit === 'jobs/s'
      ? `${value.toFixed(0)}`
      : unit === 's'
        ? value.toFixed(3)
        : unit === 'µs/job'
          ? value.toFixed(1)
          : value.toFixed(2);
  const rows: string[][] = [['measurement', 'unit', 'median', 'min', 'max']];
  for (const [name, { unit, stats: s }] of results) {
    rows.push([name, unit, fmt(s.median, unit), fmt(s.min, unit), fmt(s.max, unit)]);
  }
  for (const [name, value] of Object.entries(derived)) {
    rows.push([name, value.unit, fmt(value.median, 's'), '', '']);
  }
  const ratioRows = [['ratio (medians)', 'value']].concat(
    Object.entries(ratios).map(([name, value]) => [name, value.value.toFixed(2)]),
  );
  const targetRows = [['target', 'value', 'limit', 'result']].concat(
    Object.entries(targets).map(([id, t]) => [
      `${id}: ${t.description}`,
      `${fmt(t.value, t.unit)} ${t.unit}`,
      `${t.comparison} ${t.limit} ${t.unit}`,
      t.met ? 'met' : 'MISSED',
    ]),
  );
  const out = [table(rows), '', table(ratioRows), '', table(targetRows), ''];
  const all = Object.values(targets);
  const missed = Object.entries(targets).filter(([, t]) => !t.met);
  out.push(
    `bench: ${all.length - missed.length}/${all.length} targets met` +
      (missed.length
        ? `; missed: ${missed
            .map(
              ([id, t]) => `${id} ${fmt(t.value, t.unit)} ${t.unit} (${t.comparison} ${t.limit})`,
            )
            .join(', ')}`
        : '') +
      ` (runs ${runs}, load ${loadAtStart.toFixed(2)}-${(loadavg()[0] ?? 0).toFixed(2)}, results in ${options.out})`,
  );
  process.stdout.write(`${out.join('\n')}\n`);

  const outFile = resolve(options.out);
  mkdirSync(dirname(outFile), { recursive: true });
  writeJson(outFile, {
    generatedAt: new Date().toISOString(),
    settings: {
      runs,
      suites,
      smallHostJobs: smallCount,
      largeHostJobs: largeCount,
      runtimeJobs,
      runtimeWarmup,
      runtimeConcurrency: 10,
      batchJobs: batchSize,
    },
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg()[0] ?? 0,
    },
    measurements: Object.fromEntries(
      [...results].map(([name, { unit, stats: s, command }]) => [
        name,
        { unit, median: s.median, min: s.min, max: s.max, samples: s.samples, command },
      ]),
    ),
    derived,
    ratios,
    targets,
  });
}

function table(rows: readonly string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row, index) => {
      const line = row
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd();
      return index === 0 ? `${line}\n${'-'.repeat(line.length)}` : line;
    })
    .join('\n');
}

try {
  await main();
} finally {
  if (options.keep) log(`kept ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}

import { readPackageJson } from './package-json.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HostError } from '../core/errors.js';
import { codeOf } from '../core/scan.js';
import { diskSource, type FileSource } from '../core/tree.js';
import { DEFAULT_LAYOUT, type HostLayout } from './layout.js';
import { projectOf, readWorkspace, type Project } from './workspace.js';

/** Where an effective setting came from, for `--print-config`. */
export type SettingSource = 'package.json#jobkit' | `detected: ${string}` | 'default';

export interface HostConfig {
  layout: HostLayout;
  sources: Record<keyof HostLayout, SettingSource>;
}

const path = z
  .string()
  .min(1)
  .refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), {
    error: 'must be a path inside the repository, relative to its root (no leading / and no ..)',
  });
const identifier = z.string().regex(/^[A-Za-z_$][\w$]*$/, { error: 'must be a function name' });

/** The `jobkit` section of the root package.json: every key optional. */
export const jobkitConfigSchema = z.strictObject({
  scope: z
    .string()
    .regex(/^@[a-z0-9][\w.-]*$/, { error: 'must be an npm scope such as "@acme"' })
    .optional(),
  queuesFile: path.optional(),
  sharedIndexFile: path.optional(),
  contractsDir: path.optional(),
  handlersDir: path.optional(),
  handlerTestsDir: path.optional(),
  workerFile: path.optional(),
  workerRuntimeDir: path.optional(),
  loggerModule: path.optional(),
  emailServiceModule: path.optional(),
  emailFunction: identifier.nullable().optional(),
  webhookClientModule: path.optional(),
  webhookDeliveryQueue: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, { error: 'must be a QUEUE_NAMES key such as "WEBHOOK_DELIVERY"' })
    .nullable()
    .optional(),
  queueServiceFile: path.optional(),
  testRunner: z.enum(['vitest', 'jest'], { error: 'must be "vitest" or "jest"' }).optional(),
  registrationHelper: identifier.optional(),
  enqueueVia: z
    .enum(['addJob', 'getQueue'], { error: 'must be "addJob" or "getQueue"' })
    .optional(),
  tracing: z.strictObject({ module: path, export: identifier }).nullable().optional(),
});

export type JobkitConfig = z.infer<typeof jobkitConfigSchema>;

function readConfig(root: string): JobkitConfig {
  const manifestPath = join(root, 'package.json');
  if (!existsSync(manifestPath)) return {};
  const manifest = readPackageJson(manifestPath, 'package.json') as { jobkit?: unknown };
  if (manifest.jobkit === undefined) return {};
  const parsed = jobkitConfigSchema.safeParse(manifest.jobkit);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = ['jobkit', ...(issue?.path ?? []).map(String)].join('.');
  const message =
    issue?.code === 'unrecognized_keys'
      ? `unknown key ${issue.keys.join(', ')}; see README "Adopt the kit"`
      : issue?.message;
  throw new HostError(`package.json: ${key} ${message ?? 'is not valid'}`, 'package.json');
}

/** `@acme/shared` → `@acme`, from the package that holds QUEUE_NAMES. */
function detectScope(projects: Project[], queuesFile: string): string | undefined {
  return /^(@[^/]+)\//.exec(projectOf(projects, queuesFile)?.name ?? '')?.[1];
}

/** The name called most often as `<name><Type>(QUEUE_NAMES.X, …)` in worker.ts. */
export function detectRegistrationHelper(workerSource: string): string | undefined {
  const counts = new Map<string, number>();
  for (const match of codeOf(workerSource).matchAll(
    /\b([A-Za-z_$][\w$]*)\s*<[^>()]*>\s*\(\s*QUEUE_NAMES\./g,
  )) {
    const name = match[1] ?? '';
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** `addJob` when the QueueService's `addJob` takes BullMQ's `JobsOptions`, else `getQueue`. */
function detectEnqueueVia(serviceSource: string): HostLayout['enqueueVia'] | undefined {
  const code = codeOf(serviceSource);
  const addJob = /\baddJob\s*(?:<[^>]*>)?\s*\(([^)]*)\)/.exec(code);
  if (!addJob) return /\bgetQueue\s*\(/.test(code) ? 'getQueue' : undefined;
  return /\bJobsOptions\b/.test(addJob[1] ?? '') ? 'addJob' : 'getQueue';
}

/**
 * The host's effective layout: the `jobkit` section of package.json first, then what
 * the repository shows (scope, test runner, registration helper, addJob's options),
 * then ForgeStack's defaults — with where each value came from.
 */
export function resolveHostConfig(root: string, files: FileSource = diskSource(root)): HostConfig {
  const config = readConfig(root);
  const layout = { ...DEFAULT_LAYOUT } as HostLayout;
  const sources = Object.fromEntries(
    Object.keys(DEFAULT_LAYOUT).map((key) => [key, 'default']),
  ) as HostConfig['sources'];
  const set = <K extends keyof HostLayout>(
    key: K,
    value: HostLayout[K] | undefined,
    source: SettingSource,
  ): void => {
    if (value === undefined) return;
    layout[key] = value;
    sources[key] = source;
  };
  for (const [key, value] of Object.entries(config) as [
    keyof HostLayout,
    HostLayout[keyof HostLayout],
  ][]) {
    set(key, value, 'package.json#jobkit');
  }

  const projects = readWorkspace(root);
  const detect = <K extends keyof HostLayout>(
    key: K,
    from: string,
    value: HostLayout[K] | undefined,
  ): void => {
    if (sources[key] === 'default') set(key, value, `detected: ${from}`);
  };
  detect(
    'scope',
    projectOf(projects, layout.queuesFile)?.dir ?? layout.queuesFile,
    detectScope(projects, layout.queuesFile),
  );
  const worker = projectOf(projects, layout.handlersDir + '/');
  detect('testRunner', `${worker?.dir ?? layout.handlersDir}/package.json`, worker?.testRunner);
  const workerSource = files.read(layout.workerFile);
  if (workerSource !== null)
    detect('registrationHelper', layout.workerFile, detectRegistrationHelper(workerSource));
  const serviceSource = files.read(layout.queueServiceFile);
  if (serviceSource !== null)
    detect('enqueueVia', layout.queueServiceFile, detectEnqueueVia(serviceSource));
  return { layout, sources };
}

/**
 * The host's effective layout (see `resolveHostConfig`). A run that plans on a
 * virtual tree passes it as `files`: the large files detection looks at (worker.ts,
 * the QueueService) are then read once for both.
 */
export function loadLayout(root: string, files?: FileSource): HostLayout {
  return resolveHostConfig(root, files).layout;
}

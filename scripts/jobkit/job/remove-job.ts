import { readdirSync } from 'node:fs';
import type { ParserOptions } from 'prettier';
import { join } from 'node:path';
import { applyChanges } from '../core/apply.js';
import { FormatRun } from '../core/format.js';
import type { CommitFs } from '../core/commit.js';
import { removeLine } from '../core/edits.js';
import { AnswersRejectedError, KitError } from '../core/errors.js';
import { removeNamedImports } from '../core/imports.js';
import { codeOf } from '../core/scan.js';
import { takeRepository } from '../core/take-repository.js';
import { emptyReport, recordError, type RunReport } from '../core/report.js';
import { createTemplateEngine } from '../core/templates.js';
import { diskSource, VirtualTree, type FileChange } from '../core/tree.js';
import { loadLayout } from '../host/config.js';
import { jobFiles, moduleSpecifier, type HostLayout, type JobFiles } from '../host/layout.js';
import { readQueueEntries, readText } from '../host/read-host.js';
import { readWorkspace } from '../host/workspace.js';
import { TEMPLATES } from './actions.js';
import { registrationPattern } from './anchors.js';
import { jobNameSchema } from './answers.schema.js';
import { hashText, manifestChange, readManifest } from './manifest.js';
import { jobNames, type JobNames } from './names.js';

export interface RemoveOptions {
  root: string;
  kitRoot: string;
  /** The job's name in any case, e.g. AUDIT_LOG_EXPORT. */
  name: string;
  dryRun?: boolean;
  verify?: boolean;
  keep?: boolean;
  /** Delete the job's files even when a person changed them since (a copy is kept). */
  force?: boolean;
  fs?: CommitFs;
}

/** The removal is not certain: a place no longer looks as the generator left it. */
class NotCertainError extends KitError {
  override name = 'NotCertainError';
}

/**
 * Refuses the removal, naming the place: `file:line` of the first line of `source`
 * that `near` matches (the place a person changed), else the file.
 */
function notCertain(file: string, what: string, source?: string, near?: RegExp): never {
  const index = near && source ? source.split('\n').findIndex((line) => near.test(line)) : -1;
  throw new NotCertainError(
    `${file}${index >= 0 ? `:${index + 1}` : ''}: ${what}, so removing the job automatically is not certain; edit it by hand (or restore it), then run again`,
    file,
  );
}

/** Identifiers and module paths that only the job's own code uses. */
function referencePattern(names: JobNames): RegExp {
  const { constant, pascal, kebab } = names;
  return new RegExp(
    [
      `\\b${constant}_JOB\\b`,
      `QUEUE_NAMES\\.${constant}\\b`,
      `\\b${pascal}(?:JobData|JobResult|Dependencies)\\b`,
      `\\b(?:parse${pascal}JobData|create${pascal}Handler|handle${pascal}|enqueue${pascal}|default${pascal}Dependencies)\\b`,
      `/${kebab}\\.(?:job|handler)['"]`,
    ].join('|'),
  );
}

function sourceFiles(root: string, dir: string): string[] {
  const entries = readdirSync(join(root, dir), { withFileTypes: true });
  return entries.flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(root, path);
    return /\.[cm]?tsx?$/.test(entry.name) ? [path] : [];
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `source` without the imports of `names` from `module` that nothing uses any more.
 * Generating a job adds these imports when they are missing (the first job needs
 * them), so removing the last job that uses them takes them away again.
 */
function withoutUnused(source: string, module: string, names: readonly string[]): string {
  const code = codeOf(source).replace(/^import\b[\s\S]*?['"][ \t]*;?[ \t]*$/gm, '');
  const unused = names.filter((name) => !new RegExp(String.raw`\b${name}\b`).test(code));
  // One by one: a name imported from somewhere else is not this module's to remove.
  return unused.reduce(
    (result, name) => removeNamedImports(result, module, [name]) ?? result,
    source,
  );
}

/** `file:line` of each use of the job in `source`. */
function usesIn(file: string, source: string, pattern: RegExp): string[] {
  return source
    .split('\n')
    .flatMap((line, index) => (pattern.test(line) ? [`${file}:${index + 1}`] : []));
}

async function removeMethod(file: string, source: string, method: string): Promise<string> {
  const { parsers } = await import('prettier/plugins/typescript');
  interface Node {
    type: string;
    range: [number, number];
    key?: { name?: string };
    body?: Node | Node[];
    declaration?: Node;
  }
  let ast: { body: Node[]; comments: Node[] };
  try {
    // The parser reads none of the printing options that ParserOptions requires.
    ast = (await parsers.typescript.parse(source, {} as ParserOptions)) as unknown as typeof ast;
  } catch (error) {
    notCertain(file, `it does not parse (${(error as Error).message.split('\n')[0] ?? ''})`);
  }
  const classes = ast.body
    .map((node) => node.declaration ?? node)
    .filter((node) => node.type === 'ClassDeclaration');
  const members = classes.flatMap(
    (node) => ((node.body as Node | undefined)?.body as Node[] | undefined) ?? [],
  );
  const found = members.filter(
    (member) => member.type === 'MethodDefinition' && member.key?.name === method,
  );
  if (found.length !== 1) {
    notCertain(
      file,
      `found ${found.length} methods named ${method}`,
      source,
      new RegExp(`\\b${method}\\b`),
    );
  }
  const [start, end] = (found[0] as Node).range;
  // Take the doc comment directly above along, and the whole lines the method spans.
  const doc = ast.comments.find((comment) => /^\s*$/.test(source.slice(comment.range[1], start)));
  const from = source.lastIndexOf('\n', (doc?.range[0] ?? start) - 1) + 1;
  const to = source.indexOf('\n', end) + 1 || source.length;
  return source.slice(0, from) + source.slice(to);
}

/** The job's own files that are no longer as the kit generated them (or have no record). */
function editedFiles(tree: VirtualTree, names: JobNames, files: JobFiles): string[] {
  const recorded = readManifest(tree)[names.constant] ?? {};
  return Object.values(files).filter((file) => {
    const text = tree.read(file);
    return text !== null && recorded[file] !== hashText(text);
  });
}

/** The job's files hold a person's work: removing them needs --force. */
class EditedFilesError extends KitError {
  override name = 'EditedFilesError';

  constructor(readonly files: string[]) {
    const them = files.length === 1 ? 'it' : 'them';
    super(
      `${files.join(', ')}: changed since the kit generated ${them} (or generated before the kit kept a record), so removing would delete your work; nothing was removed. Move what you want to keep, then run again with --force to delete ${them} (a copy is kept under ${BACKUP_DIR}/)`,
      files[0],
    );
  }
}

const BACKUP_DIR = '.jobkit/removed';

/**
 * The files of `name` that a removal would delete although a person changed them,
 * for a confirmation that names them (plop's job:remove).
 */
export function editedJobFiles(root: string, name: string): string[] {
  const tree = new VirtualTree(diskSource(root));
  const layout = loadLayout(root, tree);
  const names = jobNames(name);
  return editedFiles(tree, names, jobFiles(layout, names));
}

/**
 * What a removal writes besides its planned (formatted) changes: the record without
 * the job, and a byte-exact copy of each file it deletes that a person had changed.
 */
function removalExtras(
  tree: VirtualTree,
  names: JobNames,
  copies: Record<string, string>,
  changes: FileChange[],
): FileChange[] {
  const copied = Object.entries(copies).map(([file, copy]) => ({
    path: copy,
    before: null,
    after: tree.original(file),
  }));
  const record = manifestChange(tree, { [names.constant]: null });
  return [...changes, ...copied, ...(record ? [record] : [])];
}

async function planRemoval(
  tree: VirtualTree,
  layout: HostLayout,
  names: JobNames,
  root: string,
  kitRoot: string,
  force: boolean,
): Promise<string[]> {
  const shared = `${layout.scope}/shared`;
  const files = jobFiles(layout, names);
  const entry = readQueueEntries(tree, layout).find((queue) => queue.key === names.constant);
  if (!entry) {
    throw new AnswersRejectedError([
      {
        path: 'name',
        message: `${names.constant} is not in QUEUE_NAMES (${layout.queuesFile}); nothing to remove`,
      },
    ]);
  }

  const queues = readText(tree, layout.queuesFile, 'the QUEUE_NAMES object');
  const entryLine = new RegExp(
    String.raw`^[ \t]*${names.constant}\s*:\s*(['"])${escapeRegExp(entry.name)}\1\s*,?[ \t]*\r?\n`,
    'm',
  );
  const entryMatch = entryLine.exec(queues);
  if (!entryMatch) {
    notCertain(
      layout.queuesFile,
      `the entry ${names.constant}: '${entry.name}' is not alone on its line`,
      queues,
      new RegExp(`\\b${names.constant}\\b`),
    );
  }
  tree.write(
    layout.queuesFile,
    queues.slice(0, entryMatch.index) + queues.slice(entryMatch.index + entryMatch[0].length),
  );

  const exportLine = `export * from '${moduleSpecifier(layout.sharedIndexFile, files.contract)}';`;
  const sharedIndex = readText(tree, layout.sharedIndexFile, 'the shared exports');
  const index = removeLine(sharedIndex, exportLine);
  if (index === undefined) {
    notCertain(
      layout.sharedIndexFile,
      `the line \`${exportLine}\` is not there`,
      sharedIndex,
      new RegExp(`/${names.kebab}\\.job\\b`),
    );
  }
  tree.write(layout.sharedIndexFile, index);

  const templates = createTemplateEngine(join(kitRoot, 'plop-templates'));
  const data = {
    handler: names.handler,
    pascal: names.pascal,
    constant: names.constant,
    modules: { handlerFromWorker: moduleSpecifier(layout.workerFile, files.handler) },
  };
  const workerSource = readText(tree, layout.workerFile, 'the worker registrations');
  let worker = workerSource;
  const importLine = templates.render(TEMPLATES.workerImport, data).trim();
  const withoutImport = removeLine(worker, importLine);
  if (withoutImport === undefined) {
    notCertain(
      layout.workerFile,
      `the line \`${importLine}\` is not there`,
      workerSource,
      new RegExp(`^import\\b.*\\b${names.handler}\\b`),
    );
  }
  worker = withoutImport;
  const registration = new RegExp(
    registrationPattern(layout.registrationHelper, {
      dataType: `${names.pascal}JobData`,
      constant: names.constant,
      handler: names.handler,
    }),
    'gm',
  );
  const registrations = [...codeOf(worker).matchAll(registration)];
  if (registrations.length !== 1) {
    notCertain(
      layout.workerFile,
      `found ${registrations.length} registrations \`${layout.registrationHelper}<${names.pascal}JobData>(QUEUE_NAMES.${names.constant}, ${names.handler});\``,
      workerSource,
      new RegExp(`QUEUE_NAMES\\.${names.constant}\\b`),
    );
  }
  const [match] = registrations as [RegExpExecArray];
  worker = worker.slice(0, match.index) + worker.slice(match.index + match[0].length);
  const workerImports = removeNamedImports(worker, shared, [`${names.pascal}JobData`]);
  if (workerImports === undefined) {
    notCertain(
      layout.workerFile,
      `${names.pascal}JobData is not imported from ${shared}`,
      workerSource,
      new RegExp(`\\b${names.pascal}JobData\\b`),
    );
  }
  tree.write(layout.workerFile, withoutUnused(workerImports, shared, ['QUEUE_NAMES']));

  const serviceSource = readText(tree, layout.queueServiceFile, 'QueueService');
  const service = await removeMethod(layout.queueServiceFile, serviceSource, names.enqueueMethod);
  const serviceImports = removeNamedImports(service, shared, [
    `${names.constant}_JOB`,
    `parse${names.pascal}JobData`,
    `${names.pascal}JobData`,
  ]);
  if (serviceImports === undefined) {
    notCertain(
      layout.queueServiceFile,
      `the ${names.constant} contract is not imported from ${shared} as generated`,
      serviceSource,
      new RegExp(`\\b${names.constant}_JOB\\b`),
    );
  }
  tree.write(
    layout.queueServiceFile,
    withoutUnused(serviceImports, 'bullmq', ['Job', 'JobsOptions']),
  );

  const changedByPerson = editedFiles(tree, names, files);
  if (changedByPerson.length > 0 && !force) throw new EditedFilesError(changedByPerson);
  for (const file of Object.values(files)) if (tree.exists(file)) tree.delete(file);

  // Anything still naming the job would break once its files are gone.
  const pattern = referencePattern(names);
  const owned = new Set<string>(Object.values(files));
  const edited = new Set([
    layout.queuesFile,
    layout.sharedIndexFile,
    layout.workerFile,
    layout.queueServiceFile,
  ]);
  const uses = readWorkspace(root)
    .flatMap((project) => sourceFiles(root, project.dir))
    .filter((file) => !owned.has(file))
    .flatMap((file) =>
      usesIn(
        file,
        (edited.has(file) ? tree.read(file) : diskSource(root).read(file)) ?? '',
        pattern,
      ),
    );
  if (uses.length > 0) {
    throw new NotCertainError(
      `${uses[0]}: still uses ${names.constant} (${uses.length} place${uses.length > 1 ? 's' : ''}: ${uses.slice(0, 5).join(', ')}); remove those uses first, then run again`,
      uses[0]?.split(':')[0],
    );
  }
  return changedByPerson;
}

/** Removes a generated job: the inverse of `generateJobs`, with the same guarantees. */
export async function removeJob(options: RemoveOptions): Promise<RunReport> {
  const { root, kitRoot, dryRun = false, verify = true, keep = false, force = false, fs } = options;
  const report = emptyReport('remove', dryRun);
  let release: (() => void) | undefined;
  let formatting: FormatRun | undefined;
  try {
    // Opened first, so that every way out of the run closes it (see generateJobs).
    formatting = new FormatRun(root);
    const parsed = jobNameSchema.safeParse(options.name);
    if (!parsed.success) {
      throw new AnswersRejectedError([
        { path: 'name', message: parsed.error.issues[0]?.message ?? 'is not a job name' },
      ]);
    }
    const names = jobNames(parsed.data);
    if (!dryRun) release = await takeRepository(root, report);
    const tree = new VirtualTree(diskSource(root));
    const layout = loadLayout(root, tree);
    const edited = await planRemoval(tree, layout, names, root, kitRoot, force);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const copies = Object.fromEntries(
      edited.map((file) => [file, `${BACKUP_DIR}/${names.constant}-${stamp}/${file}`]),
    );

    report.jobs = [{ name: options.name, constant: names.constant, queue: names.kebab }];
    await applyChanges(
      tree.changes(),
      {
        root,
        dryRun,
        verify,
        keep,
        testRunner: layout.testRunner,
        formatting,
        ...(fs ? { fs } : {}),
        meta: { command: 'remove', jobs: [names.constant] },
        finalize: (changes) => removalExtras(tree, names, copies, changes),
      },
      report,
    );
    for (const [file, copy] of Object.entries(copies))
      report.notices.push(`${file} was changed since it was generated; a copy is kept at ${copy}`);
    report.ok = true;
    report.exitCode = 0;
  } catch (error) {
    recordError(report, error);
  } finally {
    await formatting?.close();
    release?.();
  }
  return report;
}

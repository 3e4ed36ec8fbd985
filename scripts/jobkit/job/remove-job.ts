import { readdirSync } from 'node:fs';
import type { ParserOptions } from 'prettier';
import { join } from 'node:path';
import { applyChanges } from '../core/apply.js';
import { formatFiles } from '../core/format.js';
import type { CommitFs } from '../core/commit.js';
import { removeLine } from '../core/edits.js';
import { AnswersRejectedError, KitError } from '../core/errors.js';
import { removeNamedImports } from '../core/imports.js';
import { codeOf } from '../core/scan.js';
import { escapeRegExp } from '../core/regexp.js';
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
import { supportFiles, supportPaths, supportTemplateData } from './support-files.js';

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

/**
 * Removes a line the kit generated as its template renders it (single quotes, a
 * semicolon), or as the host's prettier configuration formatted it (double quotes,
 * no semicolon).
 */
function removeGeneratedLine(source: string, line: string): string | undefined {
  const spellings = [line, line.replace(/'/g, '"')].flatMap((spelling) => [
    spelling,
    spelling.replace(/;$/, ''),
  ]);
  for (const spelling of spellings) {
    const removed = removeLine(source, spelling);
    if (removed !== undefined) return removed;
  }
  return undefined;
}

/**
 * Imports the removal shortened (`import { a, b } from 'x';`, on one line or several) that the file
 * had laid out one name per line, as prettier lays out an import too long for a
 * line: laid out again as the host's prettier prints them now that they are
 * shorter, so a removal gives back the import the first job found.
 */
async function reflowImports(
  root: string,
  path: string,
  before: string,
  after: string,
): Promise<string> {
  const oneLine = /^import (?:type )?\{[^}]*\} from (['"])([^'"\n]+)\1;$/gm;
  const reprinted = [...after.matchAll(oneLine)].filter((match) => {
    const module = escapeRegExp(match[2] ?? '');
    const was = new RegExp(
      String.raw`^import\s+(?:type\s+)?\{[^}]*\}\s*from\s*(['"])${module}\1`,
      'm',
    );
    return !before.includes(match[0]) && (was.exec(before)?.[0].includes('\n') ?? false);
  });
  if (reprinted.length === 0) return after;
  const [formatted] = await formatFiles(
    root,
    [{ path, before: null, after: reprinted.map((match) => match[0]).join('\n') }],
    [],
  );
  const statements = (formatted?.after ?? '').trimEnd().split(/\n(?=import )/);
  let result = after;
  reprinted.forEach((match, index) => {
    result = result.replace(match[0], () => statements[index] ?? match[0]);
  });
  return result;
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
  let from = source.lastIndexOf('\n', (doc?.range[0] ?? start) - 1) + 1;
  let to = source.indexOf('\n', end) + 1 || source.length;
  // The blank line that separated the method from the next member, or from the one
  // before when it was the last, goes with it.
  const blankBefore = /\n([ \t]*\n)$/.exec(source.slice(0, from));
  const blankAfter = /^[ \t]*\n/.exec(source.slice(to));
  if (blankBefore && blankAfter) to += blankAfter[0].length;
  else if (blankBefore && /^[ \t]*\}/.test(source.slice(to))) from -= blankBefore[1]?.length ?? 0;
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
  let entryStart = entryMatch.index;
  // The last entry without a comma (prettier's `trailingComma: "none"`): the comma the
  // kit added to the entry before it goes too.
  if (!entryMatch[0].includes(',')) {
    const before = queues.slice(0, entryStart).replace(/\s+$/, '');
    if (before.endsWith(',')) entryStart = before.length - 1;
  }
  const withoutEntry =
    queues.slice(0, entryStart) +
    (entryStart < entryMatch.index ? queues.slice(entryStart + 1, entryMatch.index) : '') +
    queues.slice(entryMatch.index + entryMatch[0].length);
  // The last entry gone: the object is `{}` again, as the first job found it.
  tree.write(layout.queuesFile, withoutEntry.replace(/(QUEUE_NAMES\s*=\s*)\{\n\}/, '$1{}'));

  const exportLine = `export * from '${moduleSpecifier(layout.sharedIndexFile, files.contract)}';`;
  const sharedIndex = readText(tree, layout.sharedIndexFile, 'the shared exports');
  const index = removeGeneratedLine(sharedIndex, exportLine);
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
  const withoutImport = removeGeneratedLine(worker, importLine);
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
  tree.write(
    layout.workerFile,
    await reflowImports(
      root,
      layout.workerFile,
      workerSource,
      withoutUnused(workerImports, shared, ['QUEUE_NAMES']),
    ),
  );

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
    await reflowImports(
      root,
      layout.queueServiceFile,
      serviceSource,
      withoutUnused(serviceImports, 'bullmq', ['Job', 'JobsOptions']),
    ),
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
  const disk = diskSource(root);
  const sources = new Map(
    readWorkspace(root)
      .flatMap((project) => sourceFiles(root, project.dir))
      .filter((file) => !owned.has(file))
      .map((file) => [file, (edited.has(file) ? tree.read(file) : disk.read(file)) ?? '']),
  );
  const uses = [...sources].flatMap(([file, text]) => usesIn(file, text, pattern));
  if (uses.length > 0) {
    throw new NotCertainError(
      `${uses[0]}: still uses ${names.constant} (${uses.length} place${uses.length > 1 ? 's' : ''}: ${uses.slice(0, 5).join(', ')}); remove those uses first, then run again`,
      uses[0]?.split(':')[0],
    );
  }
  await removeUnusedSupport(tree, layout, sources, root, kitRoot);
  return changedByPerson;
}

/** The names a module exports by declaration. */
function exportedNames(source: string): string[] {
  const declarations =
    /^export\s+(?:declare\s+)?(?:async\s+)?(?:function|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
  return [...source.matchAll(declarations)].map((match) => match[1] ?? '');
}

/**
 * Removes the support modules the kit added for the jobs (see support-files.ts) that
 * nothing left uses, and the shared index's export of them: after removing the last
 * job, the host is as it was before the first. A module counts as the kit's only while
 * it is exactly what the kit wrote (its template, formatted); one a person changed or
 * wrote stays. Used means: another file names it in an import or export (the shared
 * index's re-export aside), or names one of its exports.
 */
async function removeUnusedSupport(
  tree: VirtualTree,
  layout: HostLayout,
  sources: Map<string, string>,
  root: string,
  kitRoot: string,
): Promise<void> {
  const templates = createTemplateEngine(join(kitRoot, 'plop-templates'));
  const data = supportTemplateData(layout);
  const written = supportFiles(layout);
  const kitMade = await formatFiles(
    root,
    written.map((file) => ({
      path: file.path,
      before: null,
      after: templates.render(file.template, data),
    })),
    [],
  );
  const candidates = new Set(
    kitMade.filter((file) => tree.read(file.path) === file.after).map((file) => file.path),
  );
  // Kept: what the rest of the host uses, then what kept modules use, and so on;
  // modules that only use each other go together.
  const kept = new Set<string>();
  const users = (): [string, string][] =>
    [...sources].filter(([file]) => !candidates.has(file) || kept.has(file));
  for (let changed = true; changed;) {
    changed = false;
    for (const path of candidates) {
      if (kept.has(path)) continue;
      const module = path.replace(/^.*\//, '').replace(/\.ts$/, '');
      const specifier = new RegExp(`['"][^'"]*\\b${escapeRegExp(module)}['"]`);
      const named = exportedNames(tree.read(path) ?? '');
      const used = users().some(
        ([file, text]) =>
          file !== path &&
          ((file !== layout.sharedIndexFile && specifier.test(text)) ||
            named.some((name) => new RegExp(`\\b${escapeRegExp(name)}\\b`).test(text))),
      );
      if (!used) continue;
      kept.add(path);
      changed = true;
    }
  }
  const removed = new Set([...candidates].filter((path) => !kept.has(path)));
  for (const path of removed) tree.delete(path);
  const jobDataExport = `export * from '${moduleSpecifier(layout.sharedIndexFile, supportPaths(layout).jobData)}';`;
  if (removed.has(supportPaths(layout).jobData)) {
    const index = tree.read(layout.sharedIndexFile) ?? '';
    tree.write(layout.sharedIndexFile, removeGeneratedLine(index, jobDataExport) ?? index);
  }
}

/** Removes a generated job: the inverse of `generateJobs`, with the same guarantees. */
export async function removeJob(options: RemoveOptions): Promise<RunReport> {
  const { root, kitRoot, dryRun = false, verify = true, keep = false, force = false, fs } = options;
  const report = emptyReport('remove', dryRun);
  let release: (() => void) | undefined;
  try {
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
    release?.();
  }
  return report;
}

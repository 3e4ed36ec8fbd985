import type { Action } from '../core/actions.js';
import { hasLine } from '../core/edits.js';
import { importDeclarations, importLineEdit, namedImportsEdits } from '../core/imports.js';
import { codeOf } from '../core/scan.js';
import type { TemplateEngine } from '../core/templates.js';
import { moduleSpecifier, type HostLayout } from '../host/layout.js';
import { QUEUE_SERVICE_METHODS_END, queueNamesEnd, registrationAnchors } from './anchors.js';
import type { ResolvedJob } from './resolve-job.js';
import { supportFiles, supportPaths, supportTemplateData } from './support-files.js';
import { jobTemplateData } from './template-data.js';

/** Whether `source` already imports QUEUE_NAMES from anywhere (the shared package or a local re-export). */
function importsQueueNames(source: string): boolean {
  const code = codeOf(source);
  return importDeclarations(source).some(
    (declaration) =>
      declaration.named !== undefined &&
      /\bQUEUE_NAMES\b/.test(code.slice(declaration.named.start, declaration.named.end)),
  );
}

/** Templates mirror the paths they produce; snippets add `.<part>` to the file they go into. */
export const TEMPLATES = {
  contract: 'job/packages/shared/src/jobs/__name__.job.ts.hbs',
  queueEntry: 'job/packages/shared/src/queues.ts.entry.hbs',
  sharedExport: 'job/packages/shared/src/index.ts.export.hbs',
  handler: 'job/apps/worker/src/handlers/__name__.handler.ts.hbs',
  handlerTest: 'job/apps/worker/src/handlers/__tests__/__name__.handler.spec.ts.hbs',
  workerImport: 'job/apps/worker/src/worker.ts.import.hbs',
  registration: 'job/apps/worker/src/worker.ts.registration.hbs',
  enqueueMethod: 'job/apps/api/src/queue/queue.service.ts.method.hbs',
} as const;

/**
 * Every change one job makes. In each file the anchored insertions come before the
 * import edits, so an anchor that fails is reported at its line in the file as it
 * is on disk (import edits can change the line count above it).
 */
export function jobActions(
  job: ResolvedJob,
  layout: HostLayout,
  templates: TemplateEngine,
): Action[] {
  const data = jobTemplateData(job, layout);
  const render = (template: string) => () => templates.render(template, data);
  const { names, files } = job;
  const shared = `${layout.scope}/shared`;
  const supportData = supportTemplateData(layout);
  const jobDataExport = `export * from '${moduleSpecifier(layout.sharedIndexFile, supportPaths(layout).jobData)}';`;

  return [
    ...supportFiles(layout, [job]).map((file): Action => ({
      type: 'add',
      path: file.path,
      content: () => templates.render(file.template, supportData),
      ifMissing: true,
    })),
    // The worker's helpers import JobDataError from the shared package.
    {
      type: 'append',
      path: layout.sharedIndexFile,
      content: () => jobDataExport,
      unique: true,
      context: 'statement',
    },
    {
      type: 'modify',
      path: layout.queuesFile,
      anchor: queueNamesEnd(layout.queuesFile),
      content: render(TEMPLATES.queueEntry),
      asEntry: true,
      context: 'entry',
    },
    { type: 'add', path: files.contract, content: render(TEMPLATES.contract) },
    {
      type: 'append',
      path: layout.sharedIndexFile,
      content: render(TEMPLATES.sharedExport),
      unique: true,
      context: 'statement',
    },
    { type: 'add', path: files.handler, content: render(TEMPLATES.handler) },
    { type: 'add', path: files.handlerTest, content: render(TEMPLATES.handlerTest) },
    {
      type: 'modify',
      path: layout.workerFile,
      anchor: registrationAnchors(layout.registrationHelper),
      content: render(TEMPLATES.registration),
      unique: true,
      context: 'block',
    },
    {
      type: 'edit',
      path: layout.workerFile,
      description: `import ${names.pascal}JobData (and QUEUE_NAMES unless imported already) from ${shared}`,
      edits: (source) =>
        namedImportsEdits(layout.workerFile, source, shared, [
          ...(importsQueueNames(source) ? [] : [{ name: 'QUEUE_NAMES', typeOnly: false }]),
          { name: `${names.pascal}JobData`, typeOnly: true },
        ]),
    },
    {
      type: 'edit',
      path: layout.workerFile,
      description: `import ${names.handler}`,
      edits: (source) => {
        const line = render(TEMPLATES.workerImport)().trim();
        return hasLine(source, line)
          ? []
          : [{ ...importLineEdit(source, line), context: 'statement' }];
      },
    },
    {
      type: 'modify',
      path: layout.queueServiceFile,
      anchor: QUEUE_SERVICE_METHODS_END,
      content: render(TEMPLATES.enqueueMethod),
      context: 'member',
    },
    {
      type: 'edit',
      path: layout.queueServiceFile,
      description: 'import the types of BullMQ the enqueue method uses',
      edits: (source) =>
        namedImportsEdits(layout.queueServiceFile, source, 'bullmq', [
          { name: 'Job', typeOnly: true },
          { name: 'JobsOptions', typeOnly: true },
        ]),
    },
    {
      type: 'edit',
      path: layout.queueServiceFile,
      description: `import the ${names.constant} contract`,
      edits: (source) =>
        namedImportsEdits(layout.queueServiceFile, source, shared, [
          { name: `${names.constant}_JOB`, typeOnly: false },
          { name: `parse${names.pascal}JobData`, typeOnly: false },
          { name: `${names.pascal}JobData`, typeOnly: true },
        ]),
    },
  ];
}

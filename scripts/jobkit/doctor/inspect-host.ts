import { findNodes, parseTypeScript, staticString, type SyntaxNode } from '../core/parse.js';
import { codeOf, lineAt } from '../core/scan.js';
import type { VirtualTree } from '../core/tree.js';
import { registrationPattern } from '../job/anchors.js';
import { jobNames } from '../job/names.js';
import type { HostLayout } from '../host/layout.js';
import { readQueueEntries, readText, type QueueEntry } from '../host/read-host.js';

/** Where something was found: `file:line`. */
type Place = string;

export interface QueueReport {
  key: string;
  name: string;
  place: Place;
  /** The handler function, and where it is exported. */
  handler: { name: string; place: Place } | null;
  /** The line registering it with the worker. */
  registration: { handler: string; place: Place } | null;
  /** The QueueService method that adds its jobs. */
  queueMethod: { name: string; place: Place } | null;
  /** Where the API adds jobs to it (`addJob(…)`, `getQueue(…)`, `new Queue(…)`). */
  producers: Place[];
}

export interface Finding {
  severity: 'error' | 'warning';
  kind:
    | 'no-handler'
    | 'handler-not-registered'
    | 'registration-without-queue'
    | 'duplicate-queue-name'
    | 'no-registration'
    | 'no-queue-method'
    | 'produced-without-queue';
  place: Place;
  message: string;
}

export interface DoctorReport {
  ok: boolean;
  queues: QueueReport[];
  findings: Finding[];
}

interface HandlerExport {
  name: string;
  place: Place;
}

/** `export (async) function handleX` or `export const handleX` in every handler file. */
function handlerExports(tree: VirtualTree, files: readonly string[]): HandlerExport[] {
  return files.flatMap((file) => {
    const source = tree.read(file) ?? '';
    return [
      ...codeOf(source).matchAll(
        /^export\s+(?:(?:async\s+)?function\s+|const\s+)(handle[A-Z]\w*)\b/gm,
      ),
    ].map((match) => ({
      name: match[1] ?? '',
      place: `${file}:${lineAt(source, match.index)}`,
    }));
  });
}

interface Registration {
  key: string;
  handler: string;
  place: Place;
}

function registrations(layout: HostLayout, source: string): Registration[] {
  const pattern = new RegExp(registrationPattern(layout.registrationHelper), 'gm');
  return [...codeOf(source).matchAll(pattern)].map((match) => {
    const call = /QUEUE_NAMES\.(\w+)\s*,\s*(\w+)/.exec(match[0]);
    return {
      key: call?.[1] ?? '',
      handler: call?.[2] ?? '',
      place: `${layout.workerFile}:${lineAt(source, match.index)}`,
    };
  });
}

/** Each QueueService method, with the queue keys its body names. */
function queueMethods(
  layout: HostLayout,
  source: string,
): { name: string; keys: string[]; place: Place }[] {
  const methods: { name: string; keys: string[]; place: Place }[] = [];
  codeOf(source)
    .split('\n')
    .forEach((line, index) => {
      const method =
        /^\s+(?:public\s+|private\s+|protected\s+)?(?:async\s+)?([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/.exec(
          line,
        );
      if (
        method &&
        !['if', 'for', 'while', 'switch', 'return', 'constructor'].includes(method[1] ?? '')
      ) {
        methods.push({
          name: method[1] ?? '',
          keys: [],
          place: `${layout.queueServiceFile}:${index + 1}`,
        });
      }
      const current = methods[methods.length - 1];
      for (const match of line.matchAll(/\bQUEUE_NAMES\.(\w+)|\b([A-Z][A-Z0-9_]*)_JOB\b/g)) {
        current?.keys.push(match[1] ?? match[2] ?? '');
      }
    });
  return methods;
}

/** Where the API adds jobs: a queue named by its string, or by its QUEUE_NAMES key. */
export interface Producer {
  name?: string;
  key?: string;
  place: Place;
}

const PRODUCER_CALLS = new Set(['addJob', 'getQueue']);

/** `const NAME = 'queue-name'` at the top of a file: the names a producer may pass. */
function fileConstants(program: SyntaxNode): Map<string, string> {
  const constants = new Map<string, string>();
  for (const statement of program.body as SyntaxNode[]) {
    const declaration =
      statement.type === 'ExportNamedDeclaration'
        ? (statement.declaration as SyntaxNode | null)
        : statement;
    if (declaration?.type !== 'VariableDeclaration' || declaration.kind !== 'const') continue;
    for (const declarator of declaration.declarations as SyntaxNode[]) {
      const id = declarator.id as SyntaxNode;
      const value = staticString(declarator.init as SyntaxNode | null);
      if (id.type === 'Identifier' && value !== undefined) constants.set(id.name as string, value);
    }
  }
  return constants;
}

/** The queue a producer's first argument names, when it can be read without running the code. */
function queueOf(
  argument: SyntaxNode | undefined,
  constants: Map<string, string>,
): Omit<Producer, 'place'> | undefined {
  if (!argument) return undefined;
  const literal = staticString(argument);
  if (literal !== undefined) return { name: literal };
  if (argument.type === 'Identifier') {
    const value = constants.get(argument.name as string);
    return value === undefined ? undefined : { name: value };
  }
  if (argument.type !== 'MemberExpression' || argument.computed) return undefined;
  const object = argument.object as SyntaxNode;
  const property = (argument.property as SyntaxNode).name as string;
  if (object.type !== 'Identifier') return undefined;
  // `QUEUE_NAMES.X`, or `X_JOB.queue` from a contract the kit generated.
  if (object.name === 'QUEUE_NAMES') return { key: property };
  const contract = /^([A-Z][A-Z0-9_]*)_JOB$/.exec(object.name as string);
  return contract && property === 'queue' ? { key: contract[1] as string } : undefined;
}

/**
 * Every place in `files` (the API's sources) that adds jobs to a queue it names:
 * `….addJob(queue, …)`, `….getQueue(queue)` and `new Queue(queue, …)`, where the
 * queue is a string, a constant holding one, `QUEUE_NAMES.X` or `X_JOB.queue`.
 * Read with the parser, so calls in comments and strings are none.
 */
export function apiProducers(tree: VirtualTree, files: readonly string[]): Producer[] {
  return files.flatMap((file) => {
    const source = tree.read(file) ?? '';
    // Most files queue nothing: only those naming a producer are parsed.
    if (!/\b(?:addJob|getQueue|Queue)\b/.test(source)) return [];
    const ast = parseTypeScript(file, source);
    const program = ast.program as SyntaxNode;
    const constants = fileConstants(program);
    const calls = findNodes(program, (node) => {
      const callee = node.callee as SyntaxNode | undefined;
      if (!callee) return false;
      if (node.type === 'NewExpression')
        return callee.type === 'Identifier' && callee.name === 'Queue';
      if (node.type !== 'CallExpression') return false;
      const name =
        callee.type === 'MemberExpression' && !callee.computed
          ? (callee.property as SyntaxNode).name
          : callee.type === 'Identifier'
            ? callee.name
            : undefined;
      return PRODUCER_CALLS.has(name as string);
    });
    return calls.flatMap((call) => {
      const queue = queueOf((call.arguments as SyntaxNode[])[0], constants);
      return queue ? [{ ...queue, place: `${file}:${lineAt(source, call.start)}` }] : [];
    });
  });
}

/**
 * Reads the repository and lists every queue with its handler, registration and
 * queue method, and every place where they have drifted apart.
 */
export function inspectHost(
  tree: VirtualTree,
  layout: HostLayout,
  handlerFiles: readonly string[],
  apiFiles: readonly string[] = [],
): DoctorReport {
  const entries = readQueueEntries(tree, layout);
  const workerSource = readText(tree, layout.workerFile, 'the worker registrations', 'workerFile');
  const serviceSource = readText(
    tree,
    layout.queueServiceFile,
    'the QueueService',
    'queueServiceFile',
  );
  const exports = handlerExports(tree, handlerFiles);
  const registered = registrations(layout, workerSource);
  const methods = queueMethods(layout, serviceSource);
  const producers = apiProducers(tree, apiFiles);
  const findings: Finding[] = [];
  const queuePlace = (entry: QueueEntry): Place => `${layout.queuesFile}:${entry.line}`;

  const queues = entries.map((entry): QueueReport => {
    const names = jobNames(entry.key);
    const registration = registered.find((candidate) => candidate.key === entry.key) ?? null;
    const handlerName = registration?.handler ?? names.handler;
    const handler = exports.find((candidate) => candidate.name === handlerName) ?? null;
    const method = methods.find((candidate) => candidate.keys.includes(entry.key)) ?? null;
    const produced = producers.filter(
      (producer) => producer.key === entry.key || producer.name === entry.name,
    );
    return {
      key: entry.key,
      name: entry.name,
      place: queuePlace(entry),
      handler,
      registration: registration && { handler: registration.handler, place: registration.place },
      queueMethod: method && { name: method.name, place: method.place },
      producers: produced.map((producer) => producer.place),
    };
  });

  for (const queue of queues) {
    const names = jobNames(queue.key);
    if (!queue.handler) {
      findings.push({
        severity: 'error',
        kind: 'no-handler',
        place: queue.place,
        message: `${queue.key} has no handler: expected ${queue.registration?.handler ?? names.handler} exported from ${layout.handlersDir}/${names.kebab}.handler.ts`,
      });
    }
    if (!queue.registration) {
      findings.push({
        severity: 'error',
        kind: 'no-registration',
        place: queue.place,
        message: `${queue.key} is not registered in ${layout.workerFile}: no ${layout.registrationHelper}<…>(QUEUE_NAMES.${queue.key}, …) call, so no worker takes its jobs`,
      });
    }
    if (!queue.queueMethod && queue.producers.length === 0) {
      findings.push({
        severity: 'warning',
        kind: 'no-queue-method',
        place: queue.place,
        message: `${queue.key} is queued nowhere in the API: no QueueService method in ${layout.queueServiceFile}, no addJob, getQueue or new Queue naming it (fine if only other jobs or schedules queue it)`,
      });
    }
  }
  for (const producer of producers) {
    const known = entries.some((entry) =>
      producer.key === undefined ? entry.name === producer.name : entry.key === producer.key,
    );
    if (known) continue;
    findings.push({
      severity: 'error',
      kind: 'produced-without-queue',
      place: producer.place,
      message:
        producer.key === undefined
          ? `the API queues jobs on '${producer.name}', which has no constant in QUEUE_NAMES (${layout.queuesFile}) and so no worker: add the queue (pnpm plop job) or queue an existing one`
          : `the API queues jobs on QUEUE_NAMES.${producer.key}, which ${layout.queuesFile} does not define, so no worker takes them`,
    });
  }
  for (const handler of exports) {
    if (!registered.some((registration) => registration.handler === handler.name)) {
      findings.push({
        severity: 'error',
        kind: 'handler-not-registered',
        place: handler.place,
        message: `${handler.name} is not registered in ${layout.workerFile}; add ${layout.registrationHelper}<…>(QUEUE_NAMES.…, ${handler.name}) or remove the handler`,
      });
    }
  }
  for (const registration of registered) {
    if (!entries.some((entry) => entry.key === registration.key)) {
      findings.push({
        severity: 'error',
        kind: 'registration-without-queue',
        place: registration.place,
        message: `registration for QUEUE_NAMES.${registration.key}, which ${layout.queuesFile} does not define`,
      });
    }
  }
  entries.forEach((entry, index) => {
    const first = entries.findIndex((other) => other.name === entry.name);
    if (first !== index) {
      findings.push({
        severity: 'error',
        kind: 'duplicate-queue-name',
        place: queuePlace(entry),
        message: `${entry.key} uses the queue name '${entry.name}', already used by ${entries[first]?.key}; two constants on one queue mix their jobs`,
      });
    }
  });
  return { ok: !findings.some((finding) => finding.severity === 'error'), queues, findings };
}

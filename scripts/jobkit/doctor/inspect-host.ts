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
}

export interface Finding {
  severity: 'error' | 'warning';
  kind:
    | 'no-handler'
    | 'handler-not-registered'
    | 'registration-without-queue'
    | 'duplicate-queue-name'
    | 'no-registration'
    | 'no-queue-method';
  place: Place;
  message: string;
}

export interface DoctorReport {
  ok: boolean;
  queues: QueueReport[];
  findings: Finding[];
}

function lineAt(source: string, offset: number): number {
  return source.slice(0, offset).split('\n').length;
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
      ...source.matchAll(/^export\s+(?:(?:async\s+)?function\s+|const\s+)(handle[A-Z]\w*)\b/gm),
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
  return [...source.matchAll(pattern)].map((match) => {
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
  source.split('\n').forEach((line, index) => {
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

/**
 * Reads the repository and lists every queue with its handler, registration and
 * queue method, and every place where they have drifted apart.
 */
export function inspectHost(
  tree: VirtualTree,
  layout: HostLayout,
  handlerFiles: readonly string[],
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
  const findings: Finding[] = [];
  const queuePlace = (entry: QueueEntry): Place => `${layout.queuesFile}:${entry.line}`;

  const queues = entries.map((entry): QueueReport => {
    const names = jobNames(entry.key);
    const registration = registered.find((candidate) => candidate.key === entry.key) ?? null;
    const handlerName = registration?.handler ?? names.handler;
    const handler = exports.find((candidate) => candidate.name === handlerName) ?? null;
    const method = methods.find((candidate) => candidate.keys.includes(entry.key)) ?? null;
    return {
      key: entry.key,
      name: entry.name,
      place: queuePlace(entry),
      handler,
      registration: registration && { handler: registration.handler, place: registration.place },
      queueMethod: method && { name: method.name, place: method.place },
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
    if (!queue.queueMethod) {
      findings.push({
        severity: 'warning',
        kind: 'no-queue-method',
        place: queue.place,
        message: `${queue.key} has no QueueService method in ${layout.queueServiceFile}; the API cannot queue it (fine if only other jobs do)`,
      });
    }
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

import type { Anchor } from '../core/edits.js';
import { findQueueNamesObject } from '../host/read-host.js';

/**
 * The places in existing files where a job's pieces go. Each must be found exactly
 * once, in code (see Anchor); `locateAnchor` reports the file and the description
 * otherwise.
 */

/** The closing brace of QUEUE_NAMES, found with its entries (see findQueueNamesObject). */
export function queueNamesEnd(file: string): Anchor {
  return {
    description: 'the closing brace of `export const QUEUE_NAMES = { … } as const`',
    find: (source) => {
      const object = findQueueNamesObject(file, source);
      return object?.asConst ? [[object.close, object.close + 1]] : [];
    },
    position: 'before',
    hint: 'If QUEUE_NAMES lives in another file, set "jobkit": { "queuesFile": "<path>" } in package.json',
  };
}

/**
 * A registration such as `createWorker<XJobData>(QUEUE_NAMES.X, handleX);`, possibly
 * wrapped over lines. Without `job`, any job's registration.
 */
export function registrationPattern(
  helper: string,
  job?: { dataType: string; constant: string; handler: string },
): string {
  const [dataType, constant, handler] = job
    ? [job.dataType, job.constant, job.handler]
    : ['[^>]+', '\\w+', '\\w+'];
  return String.raw`^[ \t]*${helper}\s*<${dataType}>\(\s*QUEUE_NAMES\.${constant}\s*,\s*${handler}\s*,?\s*\);[ \t]*\r?\n`;
}

/**
 * After the block of registrations (consecutive lines, blank and comment lines
 * allowed between them); when there is none, after `const { <helper> } = pool;`.
 * Two blocks separated by other code make the place ambiguous; a registration in a
 * comment is no registration. The helper's name is the `registrationHelper` setting
 * (detected from worker.ts).
 */
export function registrationAnchors(helper: string): Anchor[] {
  const line = registrationPattern(helper);
  // In code, a comment is blank: lines holding only comments are blank lines.
  const gap = String.raw`(?:[ \t]*\r?\n)*`;
  return [
    {
      description: `the block of worker registrations (\`${helper}<…>(QUEUE_NAMES.…, handle…);\` lines)`,
      pattern: new RegExp(`${line}(?:${gap}${line})*`, 'm'),
      position: 'after',
    },
    {
      description: `the line \`const { ${helper} } = pool;\` that precedes the registrations`,
      pattern: new RegExp(
        String.raw`^[ \t]*const\s*\{\s*${helper}\s*\}\s*=\s*\w+;[ \t]*\r?\n`,
        'm',
      ),
      position: 'after',
      hint: `If the worker registers its queues with another function than ${helper}, set "jobkit": { "registrationHelper": "<name>" } in package.json; if they live in another file, set "workerFile"`,
    },
  ];
}

/** Before `onModuleDestroy` and the comments above it; else before the last closing brace. */
export const QUEUE_SERVICE_METHODS_END: Anchor[] = [
  {
    description: "QueueService's `onModuleDestroy()` method",
    pattern: /^[ \t]*(?:public\s+)?(?:async\s+)?onModuleDestroy\s*\(/m,
    position: 'before',
    leadingComments: true,
  },
  {
    description: 'the closing brace of the QueueService class at the end of the file',
    // In code, comments after the class are blank.
    pattern: /^\}\s*(?![\s\S])/m,
    position: 'before',
    hint: 'If QueueService lives in another file, set "jobkit": { "queueServiceFile": "<path>" } in package.json',
  },
];

import type { Anchor } from '../core/edits.js';

/**
 * The places in existing files where a job's pieces go. Each pattern must match
 * exactly once; `locateAnchor` reports the file and the description otherwise.
 */

export const QUEUE_NAMES_END: Anchor = {
  description: 'the closing brace of `export const QUEUE_NAMES = { … } as const`',
  // Matched from the declaration forward: a look-behind would rescan the whole
  // object at every character, which is slow when it holds a thousand queues.
  pattern: /export\s+const\s+QUEUE_NAMES\s*=\s*\{[^}]*(\})\s*as\s+const/,
  position: 'before',
  group: 1,
  hint: 'If QUEUE_NAMES lives in another file, set "jobkit": { "queuesFile": "<path>" } in package.json',
};

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
  return String.raw`^[ \t]*${helper}\s*<${dataType}>\(\s*QUEUE_NAMES\.${constant}\s*,\s*${handler}\s*,?\s*\);[ \t]*\n`;
}

/**
 * After the block of registrations (consecutive lines, blank and `//` lines allowed
 * between them); when there is none, after `const { <helper> } = pool;`. Two
 * blocks separated by other code make the place ambiguous. The helper's name is the
 * `registrationHelper` setting (detected from worker.ts).
 */
export function registrationAnchors(helper: string): Anchor[] {
  const line = registrationPattern(helper);
  const gap = String.raw`(?:[ \t]*(?:\/\/[^\n]*)?\n)*`;
  return [
    {
      description: `the block of worker registrations (\`${helper}<…>(QUEUE_NAMES.…, handle…);\` lines)`,
      pattern: new RegExp(`${line}(?:${gap}${line})*`, 'm'),
      position: 'after',
    },
    {
      description: `the line \`const { ${helper} } = pool;\` that precedes the registrations`,
      pattern: new RegExp(String.raw`^[ \t]*const\s*\{\s*${helper}\s*\}\s*=\s*\w+;[ \t]*\n`, 'm'),
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
    pattern: /^\}[ \t]*\n?(?![\s\S])/m,
    position: 'before',
    hint: 'If QueueService lives in another file, set "jobkit": { "queueServiceFile": "<path>" } in package.json',
  },
];

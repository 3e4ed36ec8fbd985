import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as prettier from 'prettier';
import {
  AnswersRejectedError,
  CheckFailedError,
  type Problem,
} from '../../scripts/jobkit/core/errors.js';
import { formatFiles } from '../../scripts/jobkit/core/format.js';
import { createTemplateEngine } from '../../scripts/jobkit/core/templates.js';
import { VirtualTree, type FileChange } from '../../scripts/jobkit/core/tree.js';
import { memorySource } from './memory-source.js';
import { loadLayout } from '../../scripts/jobkit/host/config.js';
import { planJobs } from '../../scripts/jobkit/job/plan-job.js';
import { validateAnswers } from '../../scripts/jobkit/job/validate-answers.js';
import { readBack, type ReadBack } from './read-back.js';

/**
 * Plans and formats answers off the main thread, so a property test can keep every
 * core busy: the pure planner over an in-memory copy of the host, the kit's real
 * template engine and formatter (prettier with the host's configuration), then the
 * files the caller checks are read back (see read-back.ts).
 */

export interface PlanWorkerData {
  root: string;
  kitRoot: string;
  files: Record<string, string>;
}

export interface PlannedFile extends ReadBack {
  path: string;
  created: boolean;
  /** Whether comments and strings were read back (the file was asked for). */
  readBack: boolean;
  /**
   * For a file read back: whether prettier with its `typescript` parser, as
   * `prettier --check` runs in the host, leaves the kit's output (formatted through
   * `babel-ts`) as it is.
   */
  stableUnderTypescriptParser?: boolean;
}

export type PlanResult =
  | { status: 'planned'; files: PlannedFile[] }
  | { status: 'rejected'; problems: Problem[] }
  | { status: 'failed'; error: string };

export interface PlanRequest {
  id: number;
  answers: unknown;
  /** The files whose comments and strings the caller checks; the rest are only formatted. */
  readBack: string[];
}

/**
 * One plan in this many also has its read-back files checked with prettier's
 * `typescript` parser: enough random texts per run (~500 answer sets) for a fraction
 * of the cost of checking them all.
 */
const TYPESCRIPT_PARSER_EVERY = 4;

async function checkWithTypescriptParser(root: string, path: string, text: string) {
  const filepath = join(root, path);
  const options = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.check(text, { ...options, filepath, parser: 'typescript' });
}

async function plan(data: PlanWorkerData, request: PlanRequest): Promise<PlanResult> {
  try {
    const validated = validateAnswers(request.answers);
    const layout = loadLayout(data.root);
    const planned = planJobs(
      validated,
      new VirtualTree(memorySource(data.files)),
      layout,
      templates(data.kitRoot),
    );
    let formatted: FileChange[];
    try {
      formatted = await formatFiles(data.root, planned.changes, []);
    } catch (error) {
      if (!(error instanceof CheckFailedError)) throw error;
      throw new Error(`${error.file ?? 'a file'} does not parse or format: ${error.message}`);
    }
    const files = await Promise.all(
      formatted.map(async (change): Promise<PlannedFile> => {
        const created = change.before === null;
        if (!request.readBack.includes(change.path))
          return { path: change.path, created, readBack: false, comments: [], strings: [] };
        const text = change.after ?? '';
        return {
          path: change.path,
          created,
          readBack: true,
          ...(request.id % TYPESCRIPT_PARSER_EVERY === 0
            ? {
                stableUnderTypescriptParser: await checkWithTypescriptParser(
                  data.root,
                  change.path,
                  text,
                ),
              }
            : {}),
          ...(await readBack(text)),
        };
      }),
    );
    return { status: 'planned', files };
  } catch (error) {
    if (error instanceof AnswersRejectedError)
      return { status: 'rejected', problems: error.problems };
    return { status: 'failed', error: error instanceof Error ? error.message : String(error) };
  }
}

let engine: ReturnType<typeof createTemplateEngine> | undefined;
/** One engine per worker: templates are compiled once and reused by every plan. */
function templates(kitRoot: string): ReturnType<typeof createTemplateEngine> {
  engine ??= createTemplateEngine(`${kitRoot}/plop-templates`);
  return engine;
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as PlanWorkerData;
  port.on('message', (request: PlanRequest) => {
    void plan(data, request).then((result) => port.postMessage({ id: request.id, result }));
  });
}

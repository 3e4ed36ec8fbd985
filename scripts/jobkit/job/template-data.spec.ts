import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../test/support/memory-source.js';
import { VirtualTree } from '../core/tree.js';
import { DEFAULT_LAYOUT } from '../host/layout.js';
import { jobAnswersSchema } from './answers.schema.js';
import { resolveJob } from './resolve-job.js';
import {
  delaySchedule,
  formatDuration,
  jobTemplateData,
  retryDelays,
  retryDescription,
} from './template-data.js';

describe('durations and retries', () => {
  it('writes durations as a person would', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(120_000)).toBe('2min');
    expect(formatDuration(7_200_000)).toBe('2h');
  });

  it('lists the waits BullMQ leaves, shortened past six', () => {
    expect(retryDelays(3, 'exponential', 1000)).toEqual([1000, 2000, 4000]);
    expect(retryDelays(3, 'fixed', 1000)).toEqual([1000, 1000, 1000]);
    expect(delaySchedule(8, 'exponential', 5000)).toBe('5s, 10s, 20s, …, 640s');
    expect(retryDescription(0, 'fixed', 1)).toBe('no retries: the first failure is final');
    expect(retryDescription(1, 'fixed', 2500)).toBe(
      '1 retry after the first try, waiting 2.5s (fixed backoff)',
    );
  });
});

describe('jobTemplateData', () => {
  const host = memorySource({
    'packages/shared/src/queues.ts': "export const QUEUE_NAMES = {\n  A: 'a',\n} as const;\n",
    'apps/api/src/queue/queue.service.ts': 'export class QueueService {}\n',
  });

  function data(answers: object) {
    const job = resolveJob(
      jobAnswersSchema.parse({ name: 'Data Job', purpose: 'p', trigger: 't', ...answers }),
      new VirtualTree(host),
      DEFAULT_LAYOUT,
    );
    return jobTemplateData(job, DEFAULT_LAYOUT);
  }

  it('describes each field with its format hint after the description', () => {
    const { fields } = data({
      fields: [
        { name: 'id', type: 'string (uuid)', description: 'The row' },
        { name: 'at', type: 'string (ISO)', required: false },
        { name: 'kind', type: "'a' | 'b'", description: 'Which */ one' },
      ],
    });
    expect(fields.map((field) => field.comment)).toEqual([
      'The row (UUID)',
      'ISO-8601 date-time',
      'Which */ one',
    ]);
    expect(fields.map((field) => field.optionalMark)).toEqual(['', '?', '']);
    expect(fields[2]?.tsType).toBe('"a" | "b"');
  });

  it('orders the steps as the side effects happen, named as commands', () => {
    const { steps, writtenSteps } = data({
      fields: [
        { name: 'to', type: 'string (email)' },
        { name: 'hook', type: 'string (url)' },
      ],
      sideEffects: {
        email: true,
        webhook: true,
        database: true,
        other: ['Generates the CSV file', 'Uploads it to R2/S3 storage', 'updateDatabase'],
      },
    });
    expect(steps.map((step) => step.name)).toEqual([
      'updateDatabase',
      'generateCsvFile',
      'uploadItToR2S3',
      'updateDatabase2',
      'sendEmail',
      'postWebhook',
    ]);
    expect(writtenSteps).toEqual([
      'updateDatabase',
      'generateCsvFile',
      'uploadItToR2S3',
      'updateDatabase2',
      'composeEmail',
    ]);
    expect(steps[2]?.earlier).toBe('{ updateDatabase, generateCsvFile }');
  });

  it('gives a job with nothing else to do one step named after its purpose', () => {
    const { steps } = data({ purpose: 'Copies a contact to the CRM' });
    expect(steps.map((step) => step.name)).toEqual(['copyContactToCrm']);
  });

  it('names steps that would clash with Object members, reserved words or the job function differently', () => {
    const { steps } = data({
      sideEffects: { other: ['constructor', 'To string', '42 things', 'Deletes', 'Runs'] },
    });
    expect(steps.map((step) => step.name)).toEqual([
      'constructorStep',
      'toStringStep',
      'step42Things',
      'deleteStep',
      'run2',
    ]);
  });

  it('gives module paths from each generated file to the others', () => {
    expect(data({}).modules).toMatchObject({
      handlerFromTest: '../data-job.handler',
      contractFromIndex: './jobs/data-job.job',
      handlerFromWorker: './handlers/data-job.handler',
    });
  });

  it('writes long timeouts with digit separators', () => {
    expect(data({ timeoutSeconds: 300 }).timeoutMs).toBe('300_000');
    expect(data({ timeoutSeconds: 5 }).timeoutMs).toBe('5000');
  });
});

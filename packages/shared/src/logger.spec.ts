import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import type { LoggerOptions } from 'pino';
import { createLoggerFactory, type JobLogger, type Logger } from './logger';

/**
 * pino's options take no destination stream, but its `streamWrite` hook sees every
 * serialized line: the hook keeps it and hands an empty string on to stdout.
 */
function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const captured: LoggerOptions = {
    ...options,
    hooks: {
      streamWrite: (line) => {
        lines.push(line);
        return '';
      },
    },
  };
  const records = (): Record<string, unknown>[] =>
    lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { options: captured, records };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createLoggerFactory', () => {
  it('makes loggers whose lines carry the service name and the component', () => {
    vi.stubEnv('LOG_LEVEL', undefined);
    const { options, records } = capture();
    const createLogger = createLoggerFactory('billing', options);

    createLogger('Invoices').info({ invoiceId: 'inv-1' }, 'Invoice sent');

    expect(records()).toEqual([
      expect.objectContaining({
        level: 30,
        name: 'billing',
        component: 'Invoices',
        invoiceId: 'inv-1',
        msg: 'Invoice sent',
      }),
    ]);
  });

  it('gives each component its own tag on one shared stream', () => {
    vi.stubEnv('LOG_LEVEL', undefined);
    const { options, records } = capture();
    const createLogger = createLoggerFactory('worker', options);

    createLogger('WelcomeEmail').warn({ attempt: 2 }, 'Slow');
    createLogger('WorkerPool').error({ queue: 'welcome-email' }, 'Worker error');

    expect(records().map(({ component, name, msg }) => ({ component, name, msg }))).toEqual([
      { component: 'WelcomeEmail', name: 'worker', msg: 'Slow' },
      { component: 'WorkerPool', name: 'worker', msg: 'Worker error' },
    ]);
  });

  it('logs at info by default, so debug lines are left out', () => {
    vi.stubEnv('LOG_LEVEL', undefined);
    const { options, records } = capture();
    const logger = createLoggerFactory('api', options)('Health');

    logger.debug('hidden');
    logger.info('shown');

    expect(logger.level).toBe('info');
    expect(records().map(({ msg }) => msg)).toEqual(['shown']);
  });

  it('takes the level from LOG_LEVEL', () => {
    vi.stubEnv('LOG_LEVEL', 'warn');
    const { options, records } = capture();
    const logger = createLoggerFactory('api', options)('Health');

    logger.info('hidden');
    logger.warn('shown');

    expect(records().map(({ msg }) => msg)).toEqual(['shown']);
  });

  it('lets explicit options win over LOG_LEVEL', () => {
    vi.stubEnv('LOG_LEVEL', 'error');
    const { options, records } = capture({ level: 'debug' });
    const logger = createLoggerFactory('api', options)('Health');

    logger.debug('shown');

    expect(records().map(({ level, msg }) => ({ level, msg }))).toEqual([
      { level: 20, msg: 'shown' },
    ]);
  });

  it('serializes an error under `err` with its type, message and stack', () => {
    vi.stubEnv('LOG_LEVEL', undefined);
    const { options, records } = capture();
    const logger = createLoggerFactory('worker', options)('WelcomeEmail');

    logger.error({ jobId: 'job-1', err: new TypeError('boom') }, 'WelcomeEmail failed');

    const [record] = records();
    expect(record).toMatchObject({ jobId: 'job-1', err: { type: 'TypeError', message: 'boom' } });
    expect(record?.err).toHaveProperty('stack', expect.stringContaining('TypeError: boom'));
  });

  it('makes loggers that job code can use as a JobLogger', () => {
    vi.stubEnv('LOG_LEVEL', undefined);
    const { options, records } = capture();
    const jobLogger: JobLogger = createLoggerFactory('worker', options)('Job');

    jobLogger.info({ step: 1 }, 'one');
    jobLogger.warn({ step: 2 }, 'two');
    jobLogger.error({ step: 3 }, 'three');

    expectTypeOf<Logger>().toExtend<JobLogger>();
    expect(records().map(({ level, step }) => [level, step])).toEqual([
      [30, 1],
      [40, 2],
      [50, 3],
    ]);
  });
});

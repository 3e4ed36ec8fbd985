import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** The part of a logger that job code uses: pino loggers and test doubles both fit it. */
export interface JobLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/**
 * Returns `createLogger(name)` for one service: every logger it makes is a child of
 * a single pino root, so the service writes one JSON stream tagged by component.
 */
export function createLoggerFactory(
  service: string,
  options: LoggerOptions = {},
): (name: string) => Logger {
  const root = pino({ name: service, level: process.env.LOG_LEVEL ?? 'info', ...options });
  return (name) => root.child({ component: name });
}

import { createLoggerFactory } from '@forgestack/shared';

/** `createLogger('WelcomeEmail')` gives a pino logger tagged with that component. */
export const createLogger = createLoggerFactory('worker');

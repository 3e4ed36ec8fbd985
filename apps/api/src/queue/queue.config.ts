/** Injection token of the queue settings. */
export const QUEUE_CONFIG = Symbol('QUEUE_CONFIG');

export interface QueueConfig {
  redisUrl: string;
  /** Key prefix of every queue; the worker must use the same one. */
  prefix: string;
}

export function queueConfigFromEnv(env: NodeJS.ProcessEnv = process.env): QueueConfig {
  return {
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: env.BULLMQ_PREFIX ?? 'bull',
  };
}

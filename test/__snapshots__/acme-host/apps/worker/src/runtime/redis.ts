import type { RedisOptions } from "ioredis";

/** Where the worker finds Redis and which key prefix its queues use, from the environment. */
export interface RedisSettings {
  connection: RedisOptions;
  prefix: string;
}

export function redisSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env
): RedisSettings {
  const url = new URL(env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    connection: {
      host: url.hostname,
      port: Number(url.port || 6379),
      db,
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      // BullMQ workers block on Redis and must never give up a command.
      maxRetriesPerRequest: null
    },
    prefix: env.BULLMQ_PREFIX ?? "bull"
  };
}

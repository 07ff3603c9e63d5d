// Redis clients. Request-path commands fail fast when Redis is away (no offline queue, one retry,
// a command timeout), so a request never hangs on a dead Redis: it gets 503, or goes on without
// the cache. ioredis reconnects in the background with a capped backoff.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errFields } from './logger.js';

export function createRedis(url: string, name: string, log: Logger): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 2000,
    connectTimeout: 3000,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
  });
  let lastLogged = 0;
  redis.on('error', (err) => {
    // One line per 5 s at most while Redis is down.
    if (Date.now() - lastLogged > 5000) {
      lastLogged = Date.now();
      log.warn({ ...errFields(err), client: name }, 'redis connection error');
    }
  });
  redis.on('ready', () => log.info({ client: name }, 'redis connected'));
  return redis;
}

/** Resolves when the client is ready, or after timeoutMs (then the caller goes on regardless). */
export function waitReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(t);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}

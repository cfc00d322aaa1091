import type { Logger } from '@switchboard/core';
import type { SubsystemState } from '@switchboard/server';
import { Redis } from 'ioredis';

/**
 * Optional Redis for state shared between processes (rate limits now; slots and live state later).
 * Reconnects with capped exponential backoff and reports its state once per change.
 */
export function connectRedis(url: string, logger: Logger): { redis: Redis; health: () => SubsystemState } {
  let last: string | undefined;
  const redis = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(30_000, 200 * 2 ** Math.min(attempt, 8)),
  });
  const report = (state: string, err?: Error) => {
    if (state === last) return;
    last = state;
    if (state === 'ready') logger.info('redis connected');
    else logger.warn({ err: err?.message }, `redis ${state}`);
  };
  redis.on('ready', () => report('ready'));
  redis.on('error', (err) => report('unreachable', err));
  redis.on('end', () => report('closed'));
  return {
    redis,
    health: () => ({
      name: 'redis',
      state: redis.status === 'ready' ? 'up' : 'down',
      ...(redis.status === 'ready' ? {} : { detail: redis.status }),
    }),
  };
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger, loadConfig } from '@switchboard/core';
import { openTestStore } from '@switchboard/store/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp } from './app.js';
import { createMetricsRegistry } from './plugins/metrics.js';

const url = process.env.REDIS_URL;

// Rate limits must hold across processes; with REDIS_URL the counters live in Redis.
describe('rate limits shared through Redis', {
  skip: !url && 'needs Redis: set REDIS_URL=redis://127.0.0.1:6379',
}, () => {
  const apps: FastifyInstance[] = [];
  const clients: Redis[] = [];
  const closers: (() => Promise<void>)[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      const store = await openTestStore('pglite');
      const redis = new Redis(url!, { maxRetriesPerRequest: 1 });
      clients.push(redis);
      closers.push(() => store.close());
      const app = await buildApp(
        {
          config: loadConfig({ NODE_ENV: 'test', LOGIN_RATE_LIMIT_PER_MINUTE: '6' }),
          store,
          logger: createLogger({ level: 'silent' }),
          internalToken: 'x'.repeat(32),
          metrics: createMetricsRegistry(),
        },
        { redis },
      );
      apps.push(app);
    }
  });
  after(async () => {
    for (const a of apps) await a.close();
    for (const c of clients) await c.quit();
    for (const c of closers) await c();
  });

  test('attempts on two instances count against one limit', async () => {
    // A fresh address per run, so counters left in a shared Redis do not matter.
    const ip = `10.${rand()}.${rand()}.${rand()}`;
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const app = apps[i % 2]!;
      const r = await app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: ip,
        payload: { email: 'nobody@example.com', password: 'guess' },
      });
      codes.push(r.statusCode);
    }
    // Each instance alone would allow 6; together they allow 6 in all.
    assert.equal(codes.filter((c) => c === 401).length, 6, codes.join(','));
    assert.equal(codes.filter((c) => c === 429).length, 4, codes.join(','));
  });
});

const rand = () => Math.floor(Math.random() * 250) + 1;

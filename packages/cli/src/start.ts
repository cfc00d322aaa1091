import { type Config, createLogger, type Logger } from '@switchboard/core';
import {
  bootstrap,
  buildApp,
  createMetricsRegistry,
  loadInternalToken,
  type SubsystemState,
} from '@switchboard/server';
import { openStore } from '@switchboard/store';
import type { FastifyInstance } from 'fastify';
import { connectRedis } from './redis.js';

export interface Running {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

/** The composition root: the one place that wires store, server and (later) engine and connectors. */
export async function start(
  config: Config,
  logger: Logger = createLogger({ level: config.LOG_LEVEL, pii: config.LOG_PII }),
): Promise<Running> {
  const store = await openStore({
    url: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    masterKey: config.MASTER_KEY,
    poolSize: config.DATABASE_POOL_SIZE,
    cacheTtlMs: config.AGENT_CACHE_TTL_MS,
    logger,
  });
  const stops: (() => Promise<unknown> | unknown)[] = [() => store.close()];
  try {
    const boot = await bootstrap(store, config, logger);
    const subsystems: (() => SubsystemState)[] = [];
    let redis: ReturnType<typeof connectRedis> | undefined;
    if (config.REDIS_URL) {
      redis = connectRedis(config.REDIS_URL, logger);
      subsystems.push(redis.health);
      stops.unshift(() => redis?.redis.quit().catch(() => redis?.redis.disconnect()));
    } else {
      subsystems.push(() => ({
        name: 'redis',
        state: 'disabled',
        detail: 'REDIS_URL not set; state kept in process',
      }));
    }
    const app = await buildApp(
      {
        config,
        store,
        logger,
        internalToken: loadInternalToken(config),
        metrics: createMetricsRegistry(),
        subsystems,
      },
      redis ? { redis: redis.redis } : {},
    );
    stops.unshift(() => app.close());
    await app.listen({ host: config.HOST, port: config.PORT });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url =
      config.PUBLIC_URL ?? `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
    printBanner(url, store.database.kind, boot);
    return {
      app,
      url,
      async stop() {
        for (const s of stops.splice(0)) await s();
      },
    };
  } catch (e) {
    for (const s of stops.splice(0)) await Promise.resolve(s()).catch(() => {});
    throw e;
  }
}

function printBanner(url: string, db: string, boot: Awaited<ReturnType<typeof bootstrap>>): void {
  const lines = [
    '',
    `  Switchboard is running at ${url}`,
    `  API docs:        ${url}/docs`,
    `  Database:        ${db === 'pglite' ? 'embedded (PGlite)' : 'PostgreSQL'}`,
  ];
  if (boot.setupToken) {
    lines.push(
      '',
      '  First start: create the owner account with this one-time setup token:',
      `    curl -X POST ${url}/v1/setup -H 'content-type: application/json' \\`,
      `      -d '{"token":"${boot.setupToken}","email":"you@example.com","password":"choose-a-long-password"}'`,
      '  (or set OWNER_EMAIL and OWNER_PASSWORD before the first start)',
    );
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

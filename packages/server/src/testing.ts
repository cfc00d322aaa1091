import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, loadConfig } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { type Backend, openTestStore } from '@switchboard/store/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createMetricsRegistry } from './plugins/metrics.js';

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  /** Every log line the app wrote, raw JSON. */
  logs: string[];
  internalToken: string;
  workspaceId: string;
  /** An admin API key of `workspaceId`. */
  adminKey: string;
  close(): Promise<void>;
}

export const TEST_INTERNAL_TOKEN = 'internal-token-for-tests-0123456789';

/** A full app on a throwaway database, with captured logs and one workspace + admin key. */
export async function createTestApp(
  options: { backend?: Backend; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const store = await openTestStore(options.backend ?? 'pglite');
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'sb-app-')),
    LOG_LEVEL: 'debug',
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    ...options.env,
  });
  const app = await buildApp({
    config,
    store,
    logger: createLogger({ level: 'debug', destination: sink }),
    internalToken: TEST_INTERNAL_TOKEN,
    metrics: createMetricsRegistry(),
  });
  await app.ready();
  const ws = await store.accounts.createWorkspace('Test workspace');
  const { key } = await store.apiKeys.create(ws.id, { name: 'test admin', role: 'admin' });
  return {
    app,
    store,
    logs,
    internalToken: TEST_INTERNAL_TOKEN,
    workspaceId: ws.id,
    adminKey: key,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

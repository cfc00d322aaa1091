import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CallEventBus, createLogger, loadConfig, OutboundGuard } from '@switchboard/core';
import { FakeLlm, FakeProviderFactory, type ProviderFactory } from '@switchboard/engine';
import { HomeAssistant, homeToolsFor } from '@switchboard/integrations';
import type { Store } from '@switchboard/store';
import { type Backend, openTestStore } from '@switchboard/store/testing';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { CallRunner } from './calls/call-runner.js';
import { type EmbedderFor, KnowledgeEmbedding } from './calls/knowledge-embedding.js';
import { TalkTokens } from './calls/talk-token.js';
import type { AppDeps } from './deps.js';
import { createMetricsRegistry } from './plugins/metrics.js';

export interface TestApp {
  app: FastifyInstance;
  runner: CallRunner;
  bus: CallEventBus;
  store: Store;
  /** Every log line the app wrote, raw JSON. */
  logs: string[];
  /** The app's outbound guard, from its configuration (loopback allowed unless `env` says otherwise). */
  outbound: OutboundGuard;
  internalToken: string;
  /** Workspaces' Home Assistant connections (reconnecting quickly). */
  home: HomeAssistant;
  workspaceId: string;
  /** The background embedder, when the app was given `embedderFor`. */
  knowledge?: KnowledgeEmbedding;
  /** An admin API key of `workspaceId`. */
  adminKey: string;
  close(): Promise<void>;
}

export const TEST_INTERNAL_TOKEN = 'internal-token-for-tests-0123456789';

/** `OUTBOUND_ALLOWED_HOSTS` for test apps: the loopback range, where the tests' fake services listen. */
export const TEST_OUTBOUND_ALLOWED_HOSTS = '127.0.0.0/8,::1,localhost';

/** A full app on a throwaway database, with captured logs and one workspace + admin key. */
export async function createTestApp(
  options: {
    backend?: Backend;
    env?: Record<string, string>;
    providers?: ProviderFactory;
    providerTester?: AppDeps['providerTester'];
    /** The carrier credential check (the connectors' one, pointed at a local carrier fake). */
    validateCarrierCredential?: AppDeps['validateCarrierCredential'];
    /** A store opened by the test itself (closed by close()); otherwise a fresh one per backend. */
    store?: Store;
    /**
     * Knowledge bases' embeddings endpoints, built over the app's store and outbound guard; with it
     * the app embeds passages in the background and searches hybrid.
     */
    embedderFor?: (deps: { store: Store; outbound: OutboundGuard }) => EmbedderFor;
  } = {},
): Promise<TestApp> {
  const store = options.store ?? (await openTestStore(options.backend ?? 'pglite'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  // A data directory of its own (recordings land there), removed again by close().
  const ownDir = mkdtempSync(join(tmpdir(), 'sb-app-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: ownDir,
    LOG_LEVEL: 'debug',
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    // Tests aim providers, webhooks and config URLs at fakes on this machine: loopback only is
    // allowed, explicitly, as an operator would; the production default stays closed.
    OUTBOUND_ALLOWED_HOSTS: TEST_OUTBOUND_ALLOWED_HOSTS,
    ...options.env,
  });
  const outbound = OutboundGuard.fromConfig(config);
  const logger = createLogger({ level: 'debug', destination: sink });
  const bus = new CallEventBus();
  // The default agent document names local:answerer; a scripted model stands in for it.
  const providers =
    options.providers ??
    new FakeProviderFactory({
      llm: {
        'local:answerer': new FakeLlm({
          replies: (m) => {
            const last = m[m.length - 1];
            return /bye/i.test(last?.role === 'user' ? last.content : '')
              ? { toolCalls: [{ name: 'end_call', args: {} }] }
              : `You said: ${last && 'content' in last ? last.content : ''}`;
          },
        }),
      },
    });
  const home = new HomeAssistant({
    repo: store.home,
    logger,
    guard: outbound,
    database: store.database,
    pruneEveryMs: 0,
    timeoutMs: 3000,
    reconnect: { maxRetries: Number.POSITIVE_INFINITY, baseDelayMs: 50, maxDelayMs: 500 },
  });
  const embedderFor = options.embedderFor?.({ store, outbound });
  const knowledge = embedderFor
    ? { embedderFor, embedding: new KnowledgeEmbedding({ store, embedderFor, logger }) }
    : undefined;
  const runner = new CallRunner({
    ...(knowledge ? { embedderFor: knowledge.embedderFor } : {}),
    platformTools: homeToolsFor(store.home, home),
    store,
    bus,
    providers,
    logger,
    dataDir: config.DATA_DIR,
    configUrlTimeoutMs: 500,
    outbound,
  });
  const app = await buildApp({
    config,
    store,
    logger,
    internalToken: TEST_INTERNAL_TOKEN,
    metrics: createMetricsRegistry(),
    calls: { runner, bus, tokens: new TalkTokens(TEST_INTERNAL_TOKEN) },
    home,
    ...(options.providerTester ? { providerTester: options.providerTester } : {}),
    ...(options.validateCarrierCredential
      ? { validateCarrierCredential: options.validateCarrierCredential }
      : {}),
    ...(knowledge ? { knowledge } : {}),
  });
  await app.ready();
  await home.start();
  const ws = await store.accounts.createWorkspace('Test workspace');
  const { key } = await store.apiKeys.create(ws.id, { name: 'test admin', role: 'admin' });
  return {
    app,
    runner,
    bus,
    store,
    logs,
    outbound,
    internalToken: TEST_INTERNAL_TOKEN,
    home,
    workspaceId: ws.id,
    adminKey: key,
    ...(knowledge ? { knowledge: knowledge.embedding } : {}),
    async close() {
      await knowledge?.embedding.stop();
      await home.stop();
      await app.close();
      await store.close();
      await outbound.close();
      rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Config, createLogger, type Logger, newId, OutboundGuard } from '@switchboard/core';
import { createDialer } from '@switchboard/dialer';
import { homeToolsFor, VapiSync } from '@switchboard/integrations';
import { initMedia } from '@switchboard/media';
import {
  localStackStatus,
  ModelLocator,
  type ModelReadiness,
  missingModelsSummary,
  modelReadiness,
} from '@switchboard/providers';
import {
  bootstrap,
  buildApp,
  CallHeartbeat,
  createMetricsRegistry,
  dashboardPlugin,
  loadInternalToken,
  RedisCallDirectory,
  registerPlatformMetrics,
  type SubsystemState,
  TalkTokens,
} from '@switchboard/server';
import { openStore, type Store } from '@switchboard/store';
import { carrierCredentialChecker, webCallPlugin } from '@switchboard/telephony';
import { ensureWeb, webDist } from '@switchboard/web';
import type { FastifyInstance } from 'fastify';
import { startAsterisk } from './asterisk.js';
import { carriers as carrierConnectors } from './carriers.js';
import { VERSION } from './cli-env.js';
import { refuseNewCallsWhileDraining } from './drain-guard.js';
import { startEvents } from './events.js';
import { startHome } from './home.js';
import { neededModels } from './model-needs.js';
import { ariDialer, type CarrierApiUrls } from './outbound-dialers.js';
import { OutboundHandoff } from './outbound-handoff.js';
import { PendingOutbound } from './pending-outbound.js';
import { createCallPlacer } from './placer.js';
import { connectRedis } from './redis.js';
import { startRetentionJob } from './retention-job.js';
import { type CallRuntime, createCallRuntime } from './runtime.js';
import { startSip } from './sip.js';

export interface Running {
  app: FastifyInstance;
  url: string;
  store: Store;
  calls: CallRuntime;
  /** The built-in SIP endpoint, when enabled. */
  sip?: { host: string; port: number };
  /** Identifies this process as the owner of the calls it runs. */
  instanceId: string;
  /**
   * Begins shutdown at once: readiness turns 503 and new calls are refused, while live calls go
   * on (and keep their heartbeat). The grace (`SHUTDOWN_GRACE_MS`) counts from here; call `stop`
   * straight after, as the dialer's own drain starts its grace there.
   */
  drain(): void;
  /**
   * Drains (if not begun), lets live calls finish within what is left of the grace, hangs up the
   * rest — each with `call.ended` and a goodbye on its own wire — then closes everything.
   */
  stop(): Promise<void>;
}

/** Outbound calls through carriers and ARI: overrides of the environment's settings (tests). */
export interface OutboundOptions {
  /** Carrier REST base URLs (tests point them at a local fake). */
  apiUrls?: CarrierApiUrls;
  /** ARI dial string with `{to}` for the number, e.g. `PJSIP/{to}@trunk`. */
  ariDialEndpoint?: string;
  ringTimeoutSeconds?: number;
  /** From placing a call to its media stream, ringing included. */
  answerTimeoutMs?: number;
}

/** The composition root: the one place that wires store, server and (later) engine and connectors. */
export async function start(
  config: Config,
  logger: Logger = createLogger({ level: config.LOG_LEVEL, pii: config.LOG_PII }),
  options: {
    banner?: boolean;
    outbound?: OutboundOptions;
    /** Where the local models load from; by default MODELS_DIR, then the packaged copies. */
    models?: ModelLocator;
  } = {},
): Promise<Running> {
  await initMedia();
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
    const subsystems: (() => SubsystemState | Promise<SubsystemState>)[] = [];
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
    const internalToken = loadInternalToken(config);
    const instanceId = newId();
    // One guard for every request a workspace can aim; operator-set URLs (carriers, MQTT, the
    // database) are configuration, not user input, and do not go through it.
    const outboundGuard = OutboundGuard.fromConfig(config);
    stops.push(() => outboundGuard.close());
    const house = await startHome({ config, store, logger, workspaceId: boot.workspaceId });
    stops.push(() => house.stop());
    subsystems.push(house.health);
    // With Redis every process knows which one runs a call, and control commands go straight to it.
    const directory = redis
      ? new RedisCallDirectory({
          redis: redis.redis,
          instanceId,
          leaseMs: config.CALL_LEASE_TIMEOUT_MS,
          logger: logger.child({ subsystem: 'call-directory' }),
        })
      : undefined;
    // One locator for the process: each model is found (and its copy verified) once.
    const models = options.models ?? new ModelLocator(config.modelsDir);
    const calls = createCallRuntime({
      store,
      config,
      logger,
      models,
      internalToken,
      outbound: outboundGuard,
      platformTools: homeToolsFor(store.home, house.home),
      ...(redis && directory ? { redis: redis.redis, directory } : {}),
    });
    if (directory) {
      await directory.start();
      // Runs after the drain, so commands reach the calls until they have ended.
      stops.unshift(() => directory.stop(calls.runner.liveCallIds()));
      subsystems.push(async () => {
        const stats = await directory.stats().catch(() => undefined);
        return stats
          ? {
              name: 'call directory',
              state: 'up',
              detail: `${stats.workers} worker(s) alive, ${stats.liveCalls} live call(s) across them`,
            }
          : { name: 'call directory', state: 'down', detail: 'Redis unreachable: control is broadcast' };
      });
    }
    stops.unshift(() => calls.knowledge.embedding.stop());
    const events = await startEvents({
      config,
      store,
      bus: calls.bus,
      providers: calls.providers,
      logger,
      internalToken,
      instanceId,
      outbound: outboundGuard,
    });
    // The final delivery round gets part of the hang-up allowance, so the exit is never forced.
    stops.unshift(() => events.stop(Math.floor(config.SHUTDOWN_HANGUP_MS / 4)));
    const heartbeat = new CallHeartbeat({
      store,
      instanceId,
      liveCallIds: () => calls.runner.liveCallIds(),
      intervalMs: config.CALL_HEARTBEAT_MS,
      logger,
      ...(directory ? { directory } : {}),
    });
    heartbeat.start();
    stops.unshift(() => heartbeat.stop());
    subsystems.push(events.health);
    const metrics = createMetricsRegistry();
    const unsubscribeMetrics = registerPlatformMetrics({
      registry: metrics,
      bus: calls.bus,
      store,
      deliveries: events.stats.deliveries,
      analyses: events.stats.analyses,
      lostCalls: events.stats.lostCalls,
      callSlots: () => calls.runner.slots.stats,
    });
    stops.unshift(unsubscribeMetrics);
    const otlp = config.OTEL_EXPORTER_OTLP_ENDPOINT;
    if (otlp) {
      // Loaded only when configured: without an endpoint no OpenTelemetry code runs.
      const { startTelemetry } = await import('@switchboard/telemetry');
      const telemetry = startTelemetry({ bus: calls.bus, instanceId, version: VERSION });
      // Runs after the drain has ended the calls, so their spans are complete when flushed.
      stops.unshift(() => telemetry.stop());
      subsystems.push(() => ({
        name: 'OpenTelemetry',
        state: 'up',
        detail: `traces and metrics to ${otlp}`,
      }));
    }
    const local = await localStackStatus(models);
    const readiness = await modelReadiness(models, await neededModels(store));
    const missingModels = missingModelsSummary(readiness);
    if (missingModels) logger.warn({ modelsDir: config.modelsDir }, missingModels);
    subsystems.push(() => ({
      name: 'local voice stack',
      state: local.ready && !missingModels ? 'up' : 'degraded',
      detail: [local.summary, missingModels].filter(Boolean).join('; '),
    }));
    subsystems.push(() => {
      const problems = calls.runner.providerProblems();
      return problems.length === 0
        ? { name: 'providers', state: 'up' }
        : {
            name: 'providers',
            state: 'degraded',
            detail: problems.map((p) => p.message).join('; '),
          };
    });
    // Which vector search the knowledge bases get on this database (docs/knowledge-base.md).
    const vectorSearch = await store.knowledge.vectorSearchKind();
    subsystems.push(() => ({
      name: 'knowledge vector search',
      state: 'up',
      detail:
        vectorSearch === 'pgvector'
          ? 'pgvector: cosine distance in the database'
          : 'exact scan of real[] embeddings (PostgreSQL without pgvector)',
    }));
    const asterisk = await startAsterisk({ config, store, runner: calls.runner, logger });
    stops.unshift(() => asterisk.stop());
    subsystems.push(...asterisk.health);
    const outbound: OutboundOptions = {
      apiUrls: {
        ...(config.TWILIO_API_URL ? { twilio: config.TWILIO_API_URL } : {}),
        ...(config.PLIVO_API_URL ? { plivo: config.PLIVO_API_URL } : {}),
        ...(config.TELNYX_API_URL ? { telnyx: config.TELNYX_API_URL } : {}),
      },
      ...(config.ARI_DIAL_ENDPOINT ? { ariDialEndpoint: config.ARI_DIAL_ENDPOINT } : {}),
      ringTimeoutSeconds: config.OUTBOUND_RING_TIMEOUT_SECONDS,
      ...options.outbound,
    };
    const pending = new PendingOutbound();
    const handoff = new OutboundHandoff({ store, pending, runner: calls.runner, logger });
    await handoff.start();
    stops.unshift(() => handoff.stop());
    const carriers = carrierConnectors({
      config,
      store,
      runner: calls.runner,
      logger,
      pending,
      handoff,
      apiUrls: outbound.apiUrls,
    });
    const guard = refuseNewCallsWhileDraining(() => calls.runner.draining, {
      full: () => calls.runner.slots.full,
      onRefused: (reason) => calls.runner.slots.refused(reason),
    });
    // The dashboard: `npm start` built it already; `start:dev` and tests build it here when stale.
    const webDir = await ensureWeb().catch((err: unknown) => {
      // A read-only install, say: the API and calls still run; the log says why there is no dashboard.
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not build the dashboard');
      return existsSync(join(webDist, 'index.html')) ? webDist : undefined;
    });
    const app = await buildApp(
      {
        config,
        store,
        logger,
        internalToken,
        metrics,
        subsystems,
        calls,
        providerTester: calls.providerTester,
        // Carrier accounts are checked where their REST clients live, at the same base URLs as calls.
        validateCarrierCredential: carrierCredentialChecker({
          ...(outbound.apiUrls ? { apiUrls: outbound.apiUrls } : {}),
        }),
        knowledge: calls.knowledge,
        home: house.home,
        vapi: new VapiSync({
          vapi: store.vapi,
          agents: store.agents,
          phoneNumbers: store.phoneNumbers,
          credentials: store.credentials,
          baseUrl: config.VAPI_API_URL,
          publicUrl: config.publicUrl,
          logger: logger.child({ subsystem: 'vapi' }),
        }),
      },
      {
        ...(redis ? { redis: redis.redis } : {}),
        plugins: [
          ...carriers.plugins,
          asterisk.plugin,
          (scope: FastifyInstance) =>
            webCallPlugin(scope, {
              logger,
              verifyToken: (token) => calls.tokens.redeem(token),
              startCall: async (leg, grant) => {
                const started = await calls.runner.start(leg, {
                  route: { agentId: grant.agentId, workspaceId: grant.workspaceId },
                });
                return { callId: started.callId };
              },
              subscribe: (callId, listener) =>
                calls.bus.subscribe((e) => (e.callId === callId ? listener(e) : undefined)),
            }),
        ]
          .map(guard)
          .concat(webDir ? [(scope: FastifyInstance) => dashboardPlugin(scope, { dir: webDir })] : []),
      },
    );
    const sip = config.SIP_ENABLED
      ? await startSip({ config, store, runner: calls.runner, logger })
      : undefined;
    if (sip) subsystems.push(sip.health);
    else subsystems.push(() => ({ name: 'sip', state: 'disabled', detail: 'SIP_ENABLED=false' }));
    const dialer = createDialer({
      store,
      placer: createCallPlacer({
        runner: calls.runner,
        ...(sip ? { sip: sip.server } : {}),
        carriers: {
          pending,
          handoff,
          machineDetection: async (agentId) => {
            const { config } = await store.resolver.resolveAgent({ agentId });
            if (!config.voicemailDetection) return undefined;
            return config.voicemailMessage ? 'message' : 'hangup';
          },
          dialers: {
            ...carriers.dialers,
            ...(asterisk.ari && outbound.ariDialEndpoint
              ? { asterisk: ariDialer(asterisk.ari, outbound.ariDialEndpoint, pending) }
              : {}),
          },
          ...(outbound.ringTimeoutSeconds ? { ringTimeoutSeconds: outbound.ringTimeoutSeconds } : {}),
          ...(outbound.answerTimeoutMs ? { answerTimeoutMs: outbound.answerTimeoutMs } : {}),
        },
        logger,
      }),
      logger,
      bus: calls.bus,
      drainGraceMs: config.SHUTDOWN_GRACE_MS,
    });
    await dialer.start();
    const stopRetention = await startRetentionJob({
      boss: dialer.queue.boss,
      store,
      dataDir: config.DATA_DIR,
      logger,
    });
    // One budget: the dialer's calls and every other live call drain side by side until the same
    // deadline; the hang-up allowance then covers the goodbyes and closing.
    let deadline: number | undefined;
    const drain = () => {
      if (deadline !== undefined) return deadline;
      deadline = Date.now() + config.SHUTDOWN_GRACE_MS;
      calls.runner.stopTaking();
      logger.info({ calls: calls.runner.activeCalls, graceMs: config.SHUTDOWN_GRACE_MS }, 'draining');
      return deadline;
    };
    stops.unshift(async () => {
      await stopRetention().catch(() => {});
      const until = drain();
      await Promise.all([
        dialer.stop(),
        calls.runner.drain(until, Math.floor(config.SHUTDOWN_HANGUP_MS / 2)),
      ]);
      await sip?.server.stop();
      await app.close();
    });
    await app.listen({ host: config.HOST, port: config.PORT });
    // Passages left without an embedding (an upload or a change of model before a restart).
    void calls.knowledge.embedding
      .resumeAll()
      .catch((err: unknown) => logger.warn({ err }, 'knowledge embedding not resumed'));
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    const url =
      config.PUBLIC_URL ?? `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
    const talkLink =
      boot.demoAgentId ??
      (await store.agents.list(boot.workspaceId, { name: 'Demo receptionist' })).data[0]?.id;
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.HOST);
    const demoLink =
      talkLink && loopback
        ? `${url}/talk/${talkLink}?token=${encodeURIComponent(new TalkTokens(internalToken, 24 * 3600_000).mint(talkLink, boot.workspaceId, Date.now(), { reusable: true }).token)}`
        : undefined;
    const sipAddress = sip?.server.address;
    if (options.banner !== false)
      printBanner(
        url,
        sipAddress ? `sip:demo@${sipAddress.host}:${sipAddress.port}` : undefined,
        store.database.kind,
        boot,
        demoLink,
        local.ready
          ? local.summary
          : `speech recognition is off (run \`npm ci\` to install the built-in recogniser); the demo still answers typed chat and the keypad`,
        readiness.filter((m) => !m.located),
      );
    return {
      app,
      url,
      store,
      calls,
      ...(sipAddress ? { sip: { host: sipAddress.host, port: sipAddress.port } } : {}),
      instanceId,
      drain: () => {
        drain();
      },
      async stop() {
        for (const s of stops.splice(0)) await s();
      },
    };
  } catch (e) {
    for (const s of stops.splice(0)) await Promise.resolve(s()).catch(() => {});
    throw e;
  }
}

function printBanner(
  url: string,
  sipDemo: string | undefined,
  db: string,
  boot: Awaited<ReturnType<typeof bootstrap>>,
  demoLink: string | undefined,
  localHint: string | undefined,
  missingModels: readonly ModelReadiness[],
): void {
  const lines = [
    '',
    `  Switchboard is running at ${url}`,
    `  Dashboard:       ${url}/`,
    `  API docs:        ${url}/docs`,
    `  Database:        ${db === 'pglite' ? 'embedded (PGlite)' : 'PostgreSQL'}`,
  ];
  if (boot.setupToken) {
    lines.push(
      '',
      '  First start: create the owner account in the dashboard (the link holds a one-time setup token):',
      `    ${url}/?token=${encodeURIComponent(boot.setupToken)}`,
      '  or with curl:',
      `    curl -X POST ${url}/v1/setup -H 'content-type: application/json' \\`,
      `      -d '{"token":"${boot.setupToken}","email":"you@example.com","password":"choose-a-long-password"}'`,
      '  (or set OWNER_EMAIL and OWNER_PASSWORD before the first start)',
    );
  }
  if (demoLink) {
    lines.push('', '  Talk to the Demo receptionist in your browser (link valid 24 h):', `    ${demoLink}`);
  }
  if (sipDemo) lines.push('', `  Or call it from a softphone or sipp: ${sipDemo}`);
  if (localHint) lines.push('', `  Offline voice stack: ${localHint}`);
  if (missingModels.length > 0) {
    const width = Math.max(...missingModels.map((m) => m.id.length));
    lines.push(
      '',
      '  Missing models:',
      ...missingModels.map((m) => `    ${m.id.padEnd(width)}  needed by ${m.neededBy.join(', ')}`),
      '  `switchboard models list` says more; `switchboard models import <bundle>` installs them on a',
      '  machine without internet (a bundle made by `switchboard models export` on one that has them).',
    );
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}

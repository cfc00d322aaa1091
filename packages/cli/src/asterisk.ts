import type { Config, Logger } from '@switchboard/core';
import type { CallLeg } from '@switchboard/engine';
import type { CallRunner, SubsystemState } from '@switchboard/server';
import type { Route, Store } from '@switchboard/store';
import {
  AriStasisApp,
  AudioSocketServer,
  AvrCallRegistry,
  avrCallHookPlugin,
  type StasisCallInfo,
} from '@switchboard/telephony';
import type { FastifyInstance } from 'fastify';
import { sipNumberCandidates } from './sip.js';

export interface AsteriskRouteHints {
  /** Agent chosen by the PBX (pre-call hook payload or Stasis argument). */
  agentId?: string | undefined;
  /** The called number or extension. */
  to?: string | undefined;
}

/**
 * Which agent answers an Asterisk call, in AVR's spirit: (a) the agent the PBX named, (b) a
 * phone number on the `asterisk` connector matching the called number, (c) the default inbound
 * agent of the first workspace. All three go through the one resolver.
 */
export async function asteriskRoute(store: Store, hints: AsteriskRouteHints): Promise<Route> {
  if (hints.agentId) return { agentId: hints.agentId };
  if (hints.to) {
    for (const number of sipNumberCandidates(hints.to)) {
      const found = await store.resolver.resolveAgent({ connector: 'asterisk', number }).then(
        () => true,
        () => false,
      );
      if (found) return { connector: 'asterisk', number };
    }
  }
  const ws = await store.accounts.firstWorkspace();
  if (!ws) throw new Error('no workspace to answer an Asterisk call');
  return { workspaceId: ws.id, direction: 'inbound' };
}

export interface RunningAsterisk {
  /** The `POST /call` pre-call hook; register it on the HTTP app (`buildApp` plugins). */
  plugin: (app: FastifyInstance) => Promise<void>;
  audioSocket?: AudioSocketServer;
  ari?: AriStasisApp;
  /** Readiness probes for `/health/ready`, one per part. */
  health: (() => SubsystemState)[];
  stop(): Promise<void>;
}

/**
 * Asterisk: the AudioSocket server (AVR's core drop-in) with its pre-call hook, and the ARI
 * Stasis application when `ARI_URL` is set. Calls are routed with `asteriskRoute`.
 */
export async function startAsterisk(opts: {
  config: Config;
  store: Store;
  runner: CallRunner;
  logger: Logger;
}): Promise<RunningAsterisk> {
  const { config, store, runner } = opts;
  const logger = opts.logger.child({ connector: 'asterisk' });
  const registry = new AvrCallRegistry({ ttlMs: config.AUDIOSOCKET_HOOK_TTL_MS });
  const run = async (leg: CallLeg, hints: AsteriskRouteHints, variables?: Record<string, string>) => {
    const route = await asteriskRoute(store, hints);
    await runner.start(leg, { route, ...(variables ? { variables } : {}) });
  };
  const stops: (() => Promise<void>)[] = [];
  const health: (() => SubsystemState)[] = [];
  const running: RunningAsterisk = {
    plugin: (app) => avrCallHookPlugin(app, { registry, logger, token: config.AUDIOSOCKET_HOOK_TOKEN }),
    health,
    async stop() {
      for (const s of stops.splice(0)) await s();
    },
  };
  try {
    if (config.AUDIOSOCKET_ENABLED) {
      const server = new AudioSocketServer({
        host: config.AUDIOSOCKET_HOST,
        port: config.AUDIOSOCKET_PORT,
        logger,
        registry,
        onCall: (leg) =>
          run(leg, { agentId: leg.announced?.agentId, to: leg.announced?.to }, leg.announced?.variables),
      });
      await server.start();
      stops.push(() => server.stop());
      const { host, port } = server.address;
      logger.info({ host, port }, 'AudioSocket listening');
      running.audioSocket = server;
      health.push(() => ({ name: 'audiosocket', state: 'up', detail: `tcp ${host}:${port}` }));
    } else {
      health.push(() => ({ name: 'audiosocket', state: 'disabled', detail: 'AUDIOSOCKET_ENABLED=false' }));
    }
    if (config.ARI_URL) {
      const ari = new AriStasisApp({
        url: config.ARI_URL,
        username: config.ARI_USERNAME ?? '',
        password: config.ARI_PASSWORD ?? '',
        app: config.ARI_APP,
        mediaHost: config.EXTERNAL_MEDIA_HOST,
        format: config.EXTERNAL_MEDIA_FORMAT,
        rtpPortRange: [config.RTP_PORT_MIN, config.RTP_PORT_MAX],
        logger,
        ...(config.ARI_DIAL_ENDPOINT ? { dialEndpoint: config.ARI_DIAL_ENDPOINT } : {}),
        onCall: (leg, info: StasisCallInfo) => run(leg, { agentId: info.args.agent, to: info.to }, info.args),
      });
      await ari.start();
      stops.push(() => ari.stop());
      running.ari = ari;
      health.push(() => {
        const s = ari.state;
        return {
          name: 'asterisk ari',
          state: s === 'connected' ? 'up' : 'degraded',
          detail: `${config.ARI_APP}: ${s}`,
        };
      });
    } else {
      health.push(() => ({ name: 'asterisk ari', state: 'disabled', detail: 'ARI_URL not set' }));
    }
  } catch (e) {
    await running.stop().catch(() => {});
    throw e;
  }
  return running;
}

import { type Config, type Logger, OutboundGuard } from '@switchboard/core';
import { FakeHome, HomeAssistant } from '@switchboard/integrations';
import type { SubsystemState } from '@switchboard/server';
import type { Store } from '@switchboard/store';

/**
 * Home Assistant for the composition root: every workspace's connection, and with DEMO_HOME a
 * built-in fake house on loopback attached to the first workspace (the house's one address is
 * added to the outbound allow-list so the guard lets the demo reach it).
 */
export async function startHome(opts: {
  config: Config;
  store: Store;
  logger: Logger;
  workspaceId: string;
}): Promise<{ home: HomeAssistant; health: () => SubsystemState; demoUrl?: string; stop(): Promise<void> }> {
  const { config, store } = opts;
  const logger = opts.logger.child({ subsystem: 'home-assistant' });
  const demo = config.DEMO_HOME ? await FakeHome.start() : undefined;
  const guard = new OutboundGuard({
    allowPrivateNetworks: config.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
    allowedHosts: [...config.OUTBOUND_ALLOWED_HOSTS, ...(demo ? [new URL(demo.url).host] : [])],
  });
  const home = new HomeAssistant({ repo: store.home, logger, guard, database: store.database });
  if (demo) {
    // The house listens on a new port each start, so the first workspace is pointed at it again.
    await store.home.saveConnection(opts.workspaceId, { url: demo.url, token: demo.token });
    logger.info({ url: demo.url }, 'demo house attached to the first workspace (DEMO_HOME)');
  }
  await home.start();
  return {
    home,
    health: () => home.health(),
    ...(demo ? { demoUrl: demo.url } : {}),
    async stop() {
      await home.stop();
      await guard.close();
      await demo?.close();
    },
  };
}

import type { Config, Logger } from '@switchboard/core';
import type { CallRunner, SubsystemState } from '@switchboard/server';
import type { Store } from '@switchboard/store';
import { SipReject, SipServer } from '@switchboard/telephony';

/** Numbers arrive as dialled: `+14155550100`, `14155550100` or a SIP user such as `sales`. */
export function sipNumberCandidates(user: string): string[] {
  const u = decodeURIComponent(user).trim();
  if (/^\+\d+$/.test(u)) return [u, u.slice(1)];
  if (/^\d+$/.test(u)) return [u, `+${u}`];
  return [u];
}

/**
 * The built-in SIP user agent, routed through the one resolver: the dialled user or number picks
 * the phone number row and so the agent; unknown numbers are refused with 404 before answering.
 */
export async function startSip(opts: {
  config: Config;
  store: Store;
  runner: CallRunner;
  logger: Logger;
}): Promise<{ server: SipServer; health: () => SubsystemState }> {
  const { config, store, runner } = opts;
  const logger = opts.logger.child({ connector: 'sip' });
  const server = new SipServer({
    host: config.SIP_HOST,
    port: config.SIP_PORT,
    transports: config.SIP_TRANSPORTS,
    rtpPortRange: [config.RTP_PORT_MIN, config.RTP_PORT_MAX],
    ...(config.SIP_ADVERTISED_ADDRESS ? { advertisedAddress: config.SIP_ADVERTISED_ADDRESS } : {}),
    ...(config.SIP_TRUNK_URI
      ? {
          trunk: {
            uri: config.SIP_TRUNK_URI,
            ...(config.SIP_TRUNK_USERNAME ? { username: config.SIP_TRUNK_USERNAME } : {}),
            ...(config.SIP_TRUNK_PASSWORD ? { password: config.SIP_TRUNK_PASSWORD } : {}),
          },
        }
      : {}),
    userAgent: 'Switchboard',
    logger,
    // While draining, OPTIONS probes get 503 too, so a proxy stops sending calls before it tries one.
    available: () => !runner.draining,
    onCall: async (leg, info) => {
      const slot = runner.admit();
      // Shutting down: the caller's proxy may retry another instance, or this one after a restart.
      if (slot === 'draining')
        throw new SipReject(503, 'Service Unavailable', [{ name: 'Retry-After', value: '5' }]);
      // Full: 486 is final for this call but says nothing about the server, so a proxy in front
      // (Kamailio's dispatcher) tries the next instance without marking this one down.
      if (slot === 'capacity') throw new SipReject(486, 'Busy Here');
      let number: string | undefined;
      for (const candidate of sipNumberCandidates(info.to)) {
        const found = await store.resolver.resolveAgent({ connector: 'sip', number: candidate }).then(
          () => true,
          () => false,
        );
        if (found) {
          number = candidate;
          break;
        }
      }
      if (!number) {
        slot.release();
        logger.info({ pii: { to: info.to } }, 'no agent for the dialled SIP number');
        throw new SipReject(404, 'Not Found');
      }
      // Answer now; the session starts on the answered leg.
      runner.start(leg, { route: { connector: 'sip', number }, slot }).catch((err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'SIP call could not start');
      });
    },
  });
  await server.start();
  const address = server.address;
  logger.info({ address }, 'built-in SIP listening');
  return {
    server,
    health: () => ({
      name: 'sip',
      state: 'up',
      detail: `${address.transports.join('+')} ${address.host}:${address.port}`,
    }),
  };
}

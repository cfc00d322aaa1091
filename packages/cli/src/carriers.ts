import type { Config, Logger } from '@switchboard/core';
import type { CallLeg } from '@switchboard/engine';
import type { CallRunner } from '@switchboard/server';
import type { Connector, Store } from '@switchboard/store';
import { plivoPlugin, telnyxPlugin, twilioPlugin } from '@switchboard/telephony';
import type { FastifyInstance } from 'fastify';

interface Deps {
  config: Config;
  store: Store;
  runner: CallRunner;
  logger: Logger;
}

/**
 * Carrier webhooks and media sockets, routed through the one resolver. Accounts are workspace
 * credentials, named after the account so a webhook finds its workspace:
 * - Twilio: `twilio:<AccountSid>` holding the auth token;
 * - Plivo: `plivo:<AuthId>` holding the auth token;
 * - Telnyx: `telnyx` holding `{"apiKey","publicKey","connectionId"}` as JSON.
 * Numbers are phone number rows with the carrier as connector.
 */
export function carrierPlugins(deps: Deps): ((app: FastifyInstance) => Promise<void>)[] {
  const { config, store, runner } = deps;
  const routable = (connector: Connector, number: string) =>
    store.resolver.resolveAgent({ connector, number }).then(
      () => true,
      () => false,
    );
  const decide = async (connector: Connector, direction: string, to: string) =>
    direction === 'outbound' || (await routable(connector, to))
      ? ({ accept: true } as const)
      : ({ accept: false, reason: 'rejected' } as const);
  const run =
    (connector: Connector, log: Logger) =>
    (leg: CallLeg, info: { to: string; parameters: Record<string, string> }) => {
      runner
        .start(leg, { route: { connector, number: info.to }, variables: info.parameters })
        .catch((err: unknown) =>
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'call could not start'),
        );
    };
  const workspaceOf = async (connector: Connector, number: string | undefined) =>
    number ? ((await store.phoneNumbers.findRoute(connector, number))?.workspaceId ?? null) : null;

  const twilioLog = deps.logger.child({ connector: 'twilio' });
  const plivoLog = deps.logger.child({ connector: 'plivo' });
  const telnyxLog = deps.logger.child({ connector: 'telnyx' });
  return [
    twilioPlugin({
      publicUrl: config.publicUrl,
      logger: twilioLog,
      getCredentials: async ({ accountSid }) => {
        const found = await store.credentials.revealByName(`twilio:${accountSid}`);
        return found ? { accountSid, authToken: found.secret } : null;
      },
      resolveCall: (req) => decide('twilio', req.direction, req.to),
      onCall: run('twilio', twilioLog),
      onStatus: (u) => twilioLog.debug({ status: u }, 'status callback'),
    }),
    plivoPlugin({
      publicUrl: config.publicUrl,
      logger: plivoLog,
      getCredentials: async ({ authId, number }) => {
        if (authId) {
          const found = await store.credentials.revealByName(`plivo:${authId}`);
          return found ? { authId, authToken: found.secret } : null;
        }
        const ws = await workspaceOf('plivo', number);
        const found = ws ? await store.credentials.revealByPrefix(ws, 'plivo:') : null;
        return found ? { authId: found.name.slice('plivo:'.length), authToken: found.secret } : null;
      },
      resolveCall: (req) => decide('plivo', req.direction, req.to),
      onCall: run('plivo', plivoLog),
      onStatus: (u) => plivoLog.debug({ status: u }, 'status callback'),
    }),
    telnyxPlugin({
      publicUrl: config.publicUrl,
      logger: telnyxLog,
      getCredentials: async ({ number }) => {
        const ws = await workspaceOf('telnyx', number);
        const found = ws ? await store.credentials.revealByName('telnyx', ws) : null;
        if (!found) return null;
        try {
          const c = JSON.parse(found.secret) as {
            apiKey?: string;
            publicKey?: string;
            connectionId?: string;
          };
          return c.apiKey && c.publicKey && c.connectionId
            ? { apiKey: c.apiKey, publicKey: c.publicKey, connectionId: c.connectionId }
            : null;
        } catch {
          telnyxLog.warn('the telnyx credential is not the expected JSON');
          return null;
        }
      },
      // Telnyx asks only about incoming calls.
      resolveCall: (call) => decide('telnyx', 'inbound', call.to),
      onCall: run('telnyx', telnyxLog),
      onStatus: (u) => telnyxLog.debug({ status: u }, 'status callback'),
    }),
  ];
}

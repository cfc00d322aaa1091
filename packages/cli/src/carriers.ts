import type { Config, Logger } from '@switchboard/core';
import type { CallRunner } from '@switchboard/server';
import type { Store } from '@switchboard/store';
import { twilioPlugin } from '@switchboard/telephony';
import type { FastifyInstance } from 'fastify';

/**
 * Carrier webhooks and media sockets, routed through the one resolver. A Twilio account is a
 * workspace credential named `twilio:<AccountSid>` holding the auth token; its numbers are phone
 * number rows with connector `twilio`.
 */
export function carrierPlugins(opts: {
  config: Config;
  store: Store;
  runner: CallRunner;
  logger: Logger;
}): ((app: FastifyInstance) => Promise<void>)[] {
  const { config, store, runner } = opts;
  const logger = opts.logger.child({ connector: 'twilio' });
  const routable = async (number: string) =>
    store.resolver.resolveAgent({ connector: 'twilio', number }).then(
      () => true,
      () => false,
    );
  return [
    twilioPlugin({
      publicUrl: config.publicUrl,
      logger,
      getCredentials: async ({ accountSid }) => {
        const found = await store.credentials.revealByName(`twilio:${accountSid}`);
        return found ? { accountSid, authToken: found.secret } : null;
      },
      resolveCall: async (req) =>
        req.direction === 'outbound' || (await routable(req.to))
          ? { accept: true }
          : { accept: false, reason: 'rejected' },
      onCall: async (leg, info) => {
        runner
          .start(leg, { route: { connector: 'twilio', number: info.to }, variables: info.parameters })
          .catch((err: unknown) =>
            logger.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'Twilio call could not start',
            ),
          );
      },
      onStatus: (u) => {
        logger.debug({ status: u }, 'Twilio status callback');
      },
    }),
  ];
}

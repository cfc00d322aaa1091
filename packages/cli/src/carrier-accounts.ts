import type { Logger } from '@switchboard/core';
import type { Connector, Store } from '@switchboard/store';
import type {
  PlivoCredentialLookup,
  PlivoCredentials,
  TelnyxCredentials,
  TwilioCredentialLookup,
  TwilioCredentials,
} from '@switchboard/telephony';

/**
 * Carrier accounts are workspace credentials, named after the account so a webhook finds its
 * workspace:
 * - Twilio: `twilio:<AccountSid>` holding the auth token;
 * - Plivo: `plivo:<AuthId>` holding the auth token;
 * - Telnyx: `telnyx` holding `{"apiKey","publicKey","connectionId"}` as JSON.
 * Numbers are phone number rows with the carrier as connector; a lookup by number (an outbound
 * call's `from`, a webhook without an account id) takes the account of the number's workspace.
 */
export function carrierAccounts(store: Store, logger: Logger) {
  const workspaceOf = async (connector: Connector, number: string | undefined) =>
    number ? ((await store.phoneNumbers.findRoute(connector, number))?.workspaceId ?? null) : null;
  const byPrefix = async (connector: 'twilio' | 'plivo', number: string | undefined) => {
    const ws = await workspaceOf(connector, number);
    const found = ws ? await store.credentials.revealByPrefix(ws, `${connector}:`) : null;
    return found ? { id: found.name.slice(connector.length + 1), secret: found.secret } : null;
  };

  return {
    async twilio(l: Partial<TwilioCredentialLookup>): Promise<TwilioCredentials | null> {
      if (l.accountSid) {
        const found = await store.credentials.revealByName(`twilio:${l.accountSid}`);
        return found ? { accountSid: l.accountSid, authToken: found.secret } : null;
      }
      const found = await byPrefix('twilio', l.number);
      return found ? { accountSid: found.id, authToken: found.secret } : null;
    },

    async plivo(l: PlivoCredentialLookup): Promise<PlivoCredentials | null> {
      if (l.authId) {
        const found = await store.credentials.revealByName(`plivo:${l.authId}`);
        return found ? { authId: l.authId, authToken: found.secret } : null;
      }
      const found = await byPrefix('plivo', l.number);
      return found ? { authId: found.id, authToken: found.secret } : null;
    },

    async telnyx(l: { number: string }): Promise<TelnyxCredentials | null> {
      const ws = await workspaceOf('telnyx', l.number);
      const found = ws ? await store.credentials.revealByName('telnyx', ws) : null;
      if (!found) return null;
      try {
        const c = JSON.parse(found.secret) as { apiKey?: string; publicKey?: string; connectionId?: string };
        return c.apiKey && c.publicKey && c.connectionId
          ? { apiKey: c.apiKey, publicKey: c.publicKey, connectionId: c.connectionId }
          : null;
      } catch {
        logger.warn({ connector: 'telnyx' }, 'the telnyx credential is not the expected JSON');
        return null;
      }
    },
  };
}

export type CarrierAccounts = ReturnType<typeof carrierAccounts>;

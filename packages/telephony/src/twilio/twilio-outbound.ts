/**
 * Outbound Twilio calls: POST Calls.json with our voice webhook as `Url` and our status route as
 * `StatusCallback`, both carrying `ref` (the caller's own id for the call) so the answer, the
 * media stream and every status callback can be tied back to it, whichever worker gets them.
 */
import type { TwilioCredentialLookup } from './twilio-plugin.js';
import { type TwilioCredentials, TwilioRestClient, type TwilioRestOptions } from './twilio-rest.js';

export interface TwilioOutboundOptions {
  publicUrl: string;
  prefix?: string;
  /** The account that owns `from` (lookup by number), or the one named. */
  getCredentials(lookup: Partial<TwilioCredentialLookup>): Promise<TwilioCredentials | null | undefined>;
  rest?: TwilioRestOptions;
}

export interface TwilioDial {
  from: string;
  to: string;
  /** Our id for the call (a call row id); it comes back on the voice webhook and callbacks. */
  ref?: string;
  accountSid?: string;
  timeoutSeconds?: number;
  timeLimitSeconds?: number;
  machineDetection?: 'Enable' | 'DetectMessageEnd';
}

export interface TwilioPlacedCall {
  callSid: string;
  accountSid: string;
  status: string;
  hangup(): Promise<void>;
}

export function twilioOutbound(o: TwilioOutboundOptions) {
  const prefix = o.prefix ?? '/twilio';
  const base = o.publicUrl.replace(/\/$/, '');
  return {
    /** Resolves once Twilio accepted the call (it is queued); throws CarrierError otherwise. */
    async placeCall(d: TwilioDial): Promise<TwilioPlacedCall> {
      const creds = await o.getCredentials({
        number: d.from,
        ...(d.accountSid ? { accountSid: d.accountSid } : {}),
      });
      if (!creds) throw new Error('no Twilio credentials for this number');
      const q = d.ref ? `?ref=${encodeURIComponent(d.ref)}` : '';
      const client = new TwilioRestClient(creds, o.rest);
      const res = await client.placeCall({
        to: d.to,
        from: d.from,
        url: `${base}${prefix}/voice${q}`,
        statusCallback: `${base}${prefix}/status${q}`,
        ...(d.timeoutSeconds !== undefined ? { timeoutSeconds: d.timeoutSeconds } : {}),
        ...(d.timeLimitSeconds !== undefined ? { timeLimitSeconds: d.timeLimitSeconds } : {}),
        ...(d.machineDetection ? { machineDetection: d.machineDetection } : {}),
      });
      // `Status=completed` ends the call whether it is still queued, ringing or in progress.
      return { ...res, accountSid: creds.accountSid, hangup: () => client.hangup(res.callSid) };
    },
  };
}

import {
  type AriStasisApp,
  OriginateError,
  plivoOutbound,
  telnyxOutbound,
  twilioOutbound,
} from '@switchboard/telephony';
import type { CarrierAccounts } from './carrier-accounts.js';
import type { PendingOutbound } from './pending-outbound.js';

export interface OutboundDialRequest {
  from: string;
  to: string;
  /** The dialer's call id; the carrier hands it back with the media and every callback. */
  ref: string;
  ringTimeoutSeconds: number;
  /**
   * Ask the carrier to detect answering machines: `message` waits for the greeting to end (a
   * voicemail message follows), `hangup` only needs the verdict. Twilio, Plivo and Telnyx detect;
   * on SIP and Asterisk the engine listens itself.
   */
  machineDetection?: MachineDetection;
}

export type MachineDetection = 'hangup' | 'message';

/** A call the carrier accepted to place. */
export interface PlacedOutbound {
  /** Ends it before its media arrived (ringing, or answered and not streaming yet). */
  hangup(carrierCallId?: string): Promise<void>;
}

/**
 * One connector's way of placing a call. Its media leg and its terminal status come back through
 * `PendingOutbound` under `ref`, never through the dial call itself.
 */
export interface OutboundDialer {
  dial(d: OutboundDialRequest): Promise<PlacedOutbound>;
}

/** REST base URLs per carrier; unset means the carrier's own (tests point them at a fake). */
export type CarrierApiUrls = Partial<Record<'twilio' | 'plivo' | 'telnyx', string>>;

export const restOptions = (baseUrl: string | undefined): { baseUrl?: string } =>
  baseUrl ? { baseUrl } : {};

/** Twilio, Plivo and Telnyx place calls over REST with our webhooks and stream URL carrying `ref`. */
export function carrierDialers(o: {
  publicUrl: string;
  accounts: CarrierAccounts;
  apiUrls?: CarrierApiUrls | undefined;
}): Record<'twilio' | 'plivo' | 'telnyx', OutboundDialer> {
  const twilio = twilioOutbound({
    publicUrl: o.publicUrl,
    getCredentials: o.accounts.twilio,
    rest: restOptions(o.apiUrls?.twilio),
  });
  const plivo = plivoOutbound({
    publicUrl: o.publicUrl,
    getCredentials: o.accounts.plivo,
    rest: restOptions(o.apiUrls?.plivo),
  });
  const telnyx = telnyxOutbound({
    publicUrl: o.publicUrl,
    getCredentials: o.accounts.telnyx,
    rest: restOptions(o.apiUrls?.telnyx),
  });
  return {
    twilio: {
      async dial(d) {
        const placed = await twilio.placeCall({
          from: d.from,
          to: d.to,
          ref: d.ref,
          timeoutSeconds: d.ringTimeoutSeconds,
          ...(d.machineDetection
            ? {
                machineDetection:
                  d.machineDetection === 'message' ? ('DetectMessageEnd' as const) : ('Enable' as const),
              }
            : {}),
        });
        return { hangup: () => placed.hangup() };
      },
    },
    plivo: {
      async dial(d) {
        const placed = await plivo.placeCall({
          from: d.from,
          to: d.to,
          ref: d.ref,
          ringTimeoutSeconds: d.ringTimeoutSeconds,
          ...(d.machineDetection ? { machineDetection: true } : {}),
        });
        return { hangup: (callUuid) => placed.hangup(callUuid) };
      },
    },
    telnyx: {
      async dial(d) {
        const placed = await telnyx.placeCall({
          from: d.from,
          to: d.to,
          ref: d.ref,
          timeoutSeconds: d.ringTimeoutSeconds,
          ...(d.machineDetection ? { machineDetection: true } : {}),
        });
        return { hangup: () => placed.hangup() };
      },
    },
  };
}

/**
 * Asterisk over ARI: originates `endpoint` (a dial string with `{to}` for the number, e.g.
 * `PJSIP/{to}@trunk`) into our Stasis application; the answered channel gets external media like
 * an inbound one and is handed to `pending`, and a channel destroyed before it (busy, no answer…)
 * ends the wait with its cause.
 */
export function ariDialer(ari: AriStasisApp, endpoint: string, pending: PendingOutbound): OutboundDialer {
  return {
    async dial(d) {
      const call = await ari.originate({
        endpoint: endpoint.replaceAll('{to}', d.to),
        callerId: d.from,
        timeoutMs: d.ringTimeoutSeconds * 1000,
      });
      call.answered.then(
        (leg) => {
          if (!pending.offerLeg(d.ref, leg)) void leg.hangup('cancelled');
        },
        (e: unknown) =>
          pending.offerEnd(
            d.ref,
            e instanceof OriginateError ? e.reason : 'connector-error',
            e instanceof Error ? e.message : String(e),
          ),
      );
      return { hangup: () => call.cancel() };
    },
  };
}

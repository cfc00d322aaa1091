/** Telnyx Call Control webhook events in core terms. */
import type { EndedReason } from '@switchboard/core';
import type { CarrierStatusUpdate } from '../ws-media/call-status.js';
import { FINAL_OUTCOMES } from '../ws-media/call-status.js';

/** `hangup_cause` values → our outcome; anything unlisted counts as failed. */
const HANGUP: Record<string, keyof typeof FINAL_OUTCOMES> = {
  normal_clearing: 'completed',
  user_busy: 'busy',
  timeout: 'no-answer',
  no_answer: 'no-answer',
  originator_cancel: 'canceled',
  call_rejected: 'rejected',
};

export interface TelnyxEvent {
  eventType: string;
  payload: Record<string, unknown>;
}

const s = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** Our ref travels as base64 `client_state`. */
export const decodeClientState = (v: unknown): string | undefined => {
  const t = s(v);
  return t ? Buffer.from(t, 'base64').toString('utf8') : undefined;
};

export function telnyxStatusUpdate(e: TelnyxEvent): CarrierStatusUpdate | undefined {
  const callId = s(e.payload.call_control_id);
  if (!callId) return undefined;
  const base = {
    connector: 'telnyx',
    callId,
    ref: decodeClientState(e.payload.client_state),
    carrierStatus: e.eventType,
  };
  switch (e.eventType) {
    case 'call.initiated':
      return { ...base, status: 'queued' };
    case 'call.answered':
      return { ...base, status: 'in-progress' };
    case 'call.hangup': {
      const cause = s(e.payload.hangup_cause) ?? '';
      const final = FINAL_OUTCOMES[HANGUP[cause] ?? 'failed'] ?? {
        outcome: 'failed',
        endedReason: 'failed' as EndedReason,
      };
      const sip = e.payload.sip_hangup_cause;
      return {
        ...base,
        carrierStatus: `call.hangup/${cause}`,
        status: 'ended',
        outcome: final.outcome,
        endedReason: final.endedReason,
        sipResponseCode: typeof sip === 'string' && /^\d+$/.test(sip) ? Number(sip) : undefined,
      };
    }
    default:
      return undefined;
  }
}

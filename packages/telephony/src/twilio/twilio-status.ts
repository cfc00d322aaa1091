/** Twilio call-status callbacks (protocols.md §1.7) in core terms. */
import type { CallStatus } from '@switchboard/core';
import { type CarrierStatusUpdate, FINAL_OUTCOMES, optionalNumber } from '../ws-media/call-status.js';
import { type FormParams, first } from '../ws-media/fastify-support.js';

const LIVE: Record<string, CallStatus> = {
  queued: 'queued',
  initiated: 'queued',
  ringing: 'ringing',
  'in-progress': 'in-progress',
};

/** Undefined when the body has no CallSid or an unknown CallStatus (logged and ignored). */
export function twilioStatusUpdate(params: FormParams, ref?: string): CarrierStatusUpdate | undefined {
  const callId = first(params.CallSid);
  const carrierStatus = first(params.CallStatus) ?? '';
  if (!callId) return undefined;
  const final = FINAL_OUTCOMES[carrierStatus];
  const live = LIVE[carrierStatus];
  if (!final && !live) return undefined;
  const answeredBy = first(params.AnsweredBy);
  // A machine that answered a completed call is a voicemail, not a conversation.
  const outcome =
    final?.outcome === 'completed' && answeredBy && /^(machine|fax)/.test(answeredBy)
      ? 'voicemail'
      : final?.outcome;
  return {
    connector: 'twilio',
    callId,
    accountId: first(params.AccountSid),
    ref,
    status: final ? 'ended' : (live as CallStatus),
    outcome,
    endedReason: final?.endedReason,
    carrierStatus,
    sequence: optionalNumber(first(params.SequenceNumber)),
    durationSeconds: optionalNumber(first(params.CallDuration)),
    sipResponseCode: optionalNumber(first(params.SipResponseCode)),
    answeredBy,
  };
}

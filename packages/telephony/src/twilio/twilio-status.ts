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

/** Twilio's AnsweredBy for an answering machine or a fax (`machine_start`, `machine_end_beep`, `fax`…). */
export function isMachine(answeredBy: string | undefined): boolean {
  return answeredBy !== undefined && /^(machine|fax)/.test(answeredBy);
}

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
  const machine = final?.outcome === 'completed' && isMachine(answeredBy);
  const outcome = machine ? 'voicemail' : final?.outcome;
  return {
    connector: 'twilio',
    callId,
    accountId: first(params.AccountSid),
    ref,
    status: final ? 'ended' : (live as CallStatus),
    outcome,
    endedReason: machine ? 'machine-detected' : final?.endedReason,
    carrierStatus,
    sequence: optionalNumber(first(params.SequenceNumber)),
    durationSeconds: optionalNumber(first(params.CallDuration)),
    sipResponseCode: optionalNumber(first(params.SipResponseCode)),
    answeredBy,
  };
}

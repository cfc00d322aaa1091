import type { CallOutcome, CallStatus, EndedReason } from '@switchboard/core';

/**
 * A carrier's call-progress callback in core terms. The composition root writes it to the call
 * row; connectors only translate.
 */
export interface CarrierStatusUpdate {
  connector: string;
  /** The carrier's call id (Twilio CallSid, Plivo CallUUID, Telnyx call_control_id). */
  callId: string;
  accountId?: string | undefined;
  /** Our correlation reference given when the call was placed, if any. */
  ref?: string | undefined;
  status: CallStatus;
  /** Set once the call has ended. */
  outcome?: CallOutcome | undefined;
  /** Set when the call ended without being answered (busy, no answer, …). */
  endedReason?: EndedReason | undefined;
  /** The carrier's own status word, for logs and debugging. */
  carrierStatus: string;
  /** Carrier ordering key: callbacks can arrive out of order. */
  sequence?: number | undefined;
  durationSeconds?: number | undefined;
  sipResponseCode?: number | undefined;
  answeredBy?: string | undefined;
}

/** Terminal carrier outcomes mapped to core outcomes and reasons (shared spelling of all three). */
export const FINAL_OUTCOMES: Record<string, { outcome: CallOutcome; endedReason?: EndedReason }> = {
  completed: { outcome: 'completed' },
  busy: { outcome: 'busy', endedReason: 'busy' },
  'no-answer': { outcome: 'no-answer', endedReason: 'no-answer' },
  timeout: { outcome: 'no-answer', endedReason: 'no-answer' },
  failed: { outcome: 'failed', endedReason: 'failed' },
  canceled: { outcome: 'cancelled', endedReason: 'cancelled' },
  cancelled: { outcome: 'cancelled', endedReason: 'cancelled' },
  rejected: { outcome: 'failed', endedReason: 'rejected' },
};

export const optionalNumber = (v: string | undefined): number | undefined => {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

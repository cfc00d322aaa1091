/** Plivo's answer/ring/hangup callbacks in core terms (protocols.md §2.4). */
import type { CallStatus } from '@switchboard/core';
import { type CarrierStatusUpdate, FINAL_OUTCOMES, optionalNumber } from '../ws-media/call-status.js';
import { type FormParams, first } from '../ws-media/fastify-support.js';

/** `stage` says which callback it was: ring, answer or hangup. */
export function plivoStatusUpdate(
  stage: 'ring' | 'answer' | 'hangup',
  params: FormParams,
  ref?: string,
): CarrierStatusUpdate | undefined {
  const callId = first(params.CallUUID);
  if (!callId) return undefined;
  const carrierStatus = first(params.CallStatus) ?? stage;
  let status: CallStatus = stage === 'ring' ? 'ringing' : 'in-progress';
  let final: (typeof FINAL_OUTCOMES)[string] | undefined;
  if (stage === 'hangup') {
    final =
      FINAL_OUTCOMES[carrierStatus] ?? (carrierStatus === 'cancel' ? FINAL_OUTCOMES.canceled : undefined);
    if (!final) final = { outcome: 'failed', endedReason: 'failed' };
    status = 'ended';
  }
  return {
    connector: 'plivo',
    callId,
    ref,
    status,
    outcome: final?.outcome,
    endedReason: final?.endedReason,
    carrierStatus: stage === 'hangup' ? `${carrierStatus}/${first(params.HangupCause) ?? ''}` : carrierStatus,
    durationSeconds: optionalNumber(first(params.Duration)),
  };
}

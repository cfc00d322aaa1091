import { AppError } from '@switchboard/core';
import { REASON_PHRASES } from './response.js';

/**
 * Thrown (or returned) by an `onCall` handler to refuse an inbound call with a SIP status,
 * e.g. `new SipReject(404)` when the dialled number has no agent.
 */
export class SipReject extends Error {
  constructor(
    readonly status: number,
    readonly reason: string = REASON_PHRASES[status] ?? 'Rejected',
    /** Extra headers for the response, e.g. `Retry-After` with a 503. */
    readonly headers: ReadonlyArray<{ name: string; value: string }> = [],
  ) {
    super(`call rejected with ${status} ${reason}`);
    this.name = 'SipReject';
    if (!Number.isInteger(status) || status < 300 || status > 699) {
      throw new RangeError('SipReject status must be a final error status (300-699)');
    }
  }
}

/** How an outbound attempt ended when it did not connect. */
export type DialOutcome = 'busy' | 'rejected' | 'no-answer' | 'failed' | 'cancelled';

/** The outcome a final SIP status maps to (RFC 3261 §21 classes, as dialers report them). */
export function outcomeForStatus(status: number): DialOutcome {
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'rejected';
  if (status === 408 || status === 480 || status === 487) return 'no-answer';
  return 'failed';
}

/** An outbound call that did not connect; `status` is the final SIP status when there was one. */
export class SipDialError extends AppError {
  constructor(
    readonly outcome: DialOutcome,
    message: string,
    readonly sipStatus?: number,
  ) {
    super(outcome === 'failed' ? 'unavailable' : 'conflict', message, {
      retryable: outcome === 'busy' || outcome === 'no-answer',
    });
    this.name = 'SipDialError';
  }
}

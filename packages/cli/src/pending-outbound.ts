import type { CallOutcome, EndedReason } from '@switchboard/core';
import type { CallLeg } from '@switchboard/engine';
import type { CarrierStatusUpdate } from '@switchboard/telephony';

/** How the wait for an outbound call's media ended. */
export type OutboundArrival =
  | { kind: 'leg'; leg: CallLeg }
  /** Another process received the media and runs the call (see OutboundHandoff). */
  | { kind: 'taken' }
  | { kind: 'ended'; outcome: CallOutcome; endedReason: EndedReason; detail: string }
  | { kind: 'timeout' }
  | { kind: 'aborted' };

export interface OutboundWait {
  readonly arrival: Promise<OutboundArrival>;
  /** The carrier's id for the call, once a progress callback named it (Plivo's CallUUID…). */
  readonly carrierCallId: string | undefined;
  /** Stops waiting, e.g. when placing the call failed. Idempotent. */
  cancel(): void;
}

interface Waiter {
  carrierCallId: string | undefined;
  settle(a: OutboundArrival): void;
}

/**
 * Outbound calls placed through a carrier's REST API (or ARI) and waiting for their media: the
 * one place where "the leg for ref X, or a terminal status before it" is decided, whichever
 * carrier delivers it. The ref is the dialer's call id; each carrier echoes it back (URL query,
 * stream parameters, client_state). A ref nobody waits for any more (timed out, cancelled, or
 * placed by another process) is refused, so the caller can hang its leg up.
 */
export class PendingOutbound {
  readonly #waiting = new Map<string, Waiter>();

  get size(): number {
    return this.#waiting.size;
  }

  has(ref: string | undefined): boolean {
    return ref !== undefined && this.#waiting.has(ref);
  }

  /**
   * Starts waiting for `ref`, before the call is placed so that no early callback is missed.
   * The wait always settles: the leg, a terminal status, `timeoutMs`, or the signal.
   */
  expect(ref: string, opts: { timeoutMs: number; signal: AbortSignal }): OutboundWait {
    if (this.#waiting.has(ref)) throw new Error('this call is already waiting for its carrier');
    let resolve!: (a: OutboundArrival) => void;
    const arrival = new Promise<OutboundArrival>((r) => {
      resolve = r;
    });
    const onAbort = () => settle({ kind: 'aborted' });
    const timer = setTimeout(() => settle({ kind: 'timeout' }), opts.timeoutMs);
    const waiter: Waiter = { carrierCallId: undefined, settle: (a) => settle(a) };
    const settle = (a: OutboundArrival) => {
      if (this.#waiting.get(ref) !== waiter) return;
      this.#waiting.delete(ref);
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      resolve(a);
    };
    this.#waiting.set(ref, waiter);
    if (opts.signal.aborted) settle({ kind: 'aborted' });
    else opts.signal.addEventListener('abort', onAbort, { once: true });
    return {
      arrival,
      get carrierCallId() {
        return waiter.carrierCallId;
      },
      cancel: () => settle({ kind: 'aborted' }),
    };
  }

  /** The carrier's media leg for `ref`; false when nobody waits for it (the caller hangs it up). */
  offerLeg(ref: string | undefined, leg: CallLeg): boolean {
    const w = ref === undefined ? undefined : this.#waiting.get(ref);
    if (!w) return false;
    w.settle({ kind: 'leg', leg });
    return true;
  }

  /** Another process took the call's media leg; false when nobody here waits for `ref`. */
  offerTaken(ref: string): boolean {
    const w = this.#waiting.get(ref);
    w?.settle({ kind: 'taken' });
    return w !== undefined;
  }

  /** A carrier progress callback: a terminal one ends the wait, any other names the call. */
  offerStatus(u: CarrierStatusUpdate): void {
    const w = u.ref === undefined ? undefined : this.#waiting.get(u.ref);
    if (!w) return;
    w.carrierCallId = u.callId;
    if (u.status !== 'ended') return;
    if (u.outcome === 'voicemail') {
      // A machine answered: hung up before the agent spoke (or the carrier ended it).
      w.settle({
        kind: 'ended',
        outcome: 'voicemail',
        endedReason: 'machine-detected',
        detail: u.carrierStatus,
      });
      return;
    }
    if (u.outcome === 'completed' || !u.endedReason) {
      // Answered and over before its media stream connected: the agent never ran.
      w.settle({
        kind: 'ended',
        outcome: 'failed',
        endedReason: 'connector-error',
        detail: `the call ended (${u.carrierStatus}) before its media stream connected`,
      });
      return;
    }
    w.settle({
      kind: 'ended',
      outcome: u.outcome ?? 'failed',
      endedReason: u.endedReason,
      detail: u.carrierStatus,
    });
  }

  /** The call ended before it was answered, for connectors that report a reason (ARI). */
  offerEnd(ref: string, reason: EndedReason, detail: string): void {
    this.#waiting.get(ref)?.settle({ kind: 'ended', ...unansweredEnd(reason), detail });
  }
}

/** An end before answer in dialer terms: the outcome a campaign retries on, and the reason. */
export function unansweredEnd(reason: EndedReason): { outcome: CallOutcome; endedReason: EndedReason } {
  switch (reason) {
    case 'busy':
      return { outcome: 'busy', endedReason: 'busy' };
    case 'no-answer':
      return { outcome: 'no-answer', endedReason: 'no-answer' };
    case 'cancelled':
      return { outcome: 'cancelled', endedReason: 'cancelled' };
    case 'rejected':
    case 'connector-error':
    case 'shutdown':
      return { outcome: 'failed', endedReason: reason };
    default:
      return { outcome: 'failed', endedReason: 'failed' };
  }
}

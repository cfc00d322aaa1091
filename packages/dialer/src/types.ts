import type { CallOutcome, EndedReason } from '@switchboard/core';

/** What the dialer asks the composition root to do: place one call and run it to its end. */
export interface PlaceRequest {
  callId: string;
  workspaceId: string;
  agentId: string;
  /** E.164. */
  to: string;
  from: string;
  /** Values for the agent's `{{…}}` placeholders. */
  variables: Record<string, string>;
  /** The connector that carries `from` (`sip`, `twilio`, …). */
  connector: string;
  /** Agent fields for this call only, merged into the published version when it runs. */
  agentOverrides?: Record<string, unknown> | undefined;
}

export interface PlaceResult {
  outcome: CallOutcome;
  endedReason: EndedReason;
  answered: boolean;
  /** Why the call failed, in words for the call row's `error` (no carrier stream, …). */
  error?: string;
}

/**
 * The seam to telephony: the dialer never imports a connector. `place` resolves when the call has
 * ENDED; the signal aborts it (cancel, maximum duration, shutdown past its grace).
 */
export interface CallPlacer {
  place(request: PlaceRequest, signal: AbortSignal): Promise<PlaceResult>;
}

/** Time and timers, injectable so tests move time by hand. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Resolves after `ms` on the given clock, or at once when the signal aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

import type { ClaimResult } from './claim.js';
import type { Grant } from './repos/slots.js';
import { type Clock, sleep } from './types.js';

export type ClaimedCall = Extract<ClaimResult, { kind: 'claimed' }>;

/**
 * Waits until a claimed call's placement time, its planned grant plus `placeDelayMs`, so the
 * carrier sees calls spaced as their grants were. When the process is later than that by more
 * than `toleranceMs` (a slow commit, a stalled event loop), placing now could bunch the call with
 * ones granted after it, beyond the rate: its grant is re-taken at the next free time instead and
 * the wait starts over. Returns how many grants had to be re-taken; returns early (unplaced) when
 * the signal aborts.
 *
 * With `placeDelayMs` 0 nothing is paced (tests on a hand-moved clock): the rate is not held.
 */
export async function awaitPlacementTime(o: {
  clock: Clock;
  placeDelayMs: number;
  toleranceMs: number;
  claimed: ClaimedCall;
  /** Re-takes the call's grant (`retakeGrants`) and returns the new one. */
  retake: (grant: Grant) => Promise<Grant>;
  signal?: AbortSignal | undefined;
}): Promise<number> {
  const { clock, claimed } = o;
  if (o.placeDelayMs <= 0) return 0;
  let grant = claimed.grant;
  let retakes = 0;
  for (;;) {
    const wait = grant.at + o.placeDelayMs - clock.now();
    if (wait > 0) await sleep(clock, wait, o.signal);
    if (o.signal?.aborted) return retakes;
    if (clock.now() - (grant.at + o.placeDelayMs) <= o.toleranceMs) return retakes;
    retakes++;
    grant = await o.retake(grant);
  }
}

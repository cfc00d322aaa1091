import type { ClaimResult } from './claim.js';
import type { Grant } from './repos/slots.js';
import { type Clock, sleep } from './types.js';

export type ClaimedCall = Extract<ClaimResult, { kind: 'claimed' }>;

/**
 * Waits until a claimed call's placement time, its planned grant plus `placeDelayMs`, so the
 * carrier sees calls spaced as their grants were. When the process is later than that by more
 * than `toleranceMs` (a slow commit, a stalled event loop), placing now could bunch the call with
 * ones granted after it, beyond the rate: its grant is re-taken at the next free time instead and
 * the wait starts over.
 *
 * `mark` records that the call is being handed to the carrier (`markPlacing`). It starts
 * `markLeadMs` before the placement time, so its write rarely makes the call late, and a call
 * whose mark did not take (no longer this process's) is not placed: `placeable` is false.
 * Returns early when the signal aborts. With `placeDelayMs` 0 nothing is paced (tests on a
 * hand-moved clock): the rate is not held.
 */
export async function awaitPlacementTime(o: {
  clock: Clock;
  placeDelayMs: number;
  toleranceMs: number;
  claimed: ClaimedCall;
  /** Re-takes the call's grant (`retakeGrants`) and returns the new one. */
  retake: (grant: Grant) => Promise<Grant>;
  mark?: (() => Promise<boolean>) | undefined;
  markLeadMs?: number | undefined;
  signal?: AbortSignal | undefined;
}): Promise<{ retakes: number; placeable: boolean }> {
  const { clock, claimed } = o;
  const mark = o.mark ?? (async () => true);
  if (o.placeDelayMs <= 0) return { retakes: 0, placeable: await mark() };
  const lead = o.markLeadMs ?? 50;
  let grant = claimed.grant;
  let retakes = 0;
  let marking: Promise<boolean> | undefined;
  for (;;) {
    const at = grant.at + o.placeDelayMs;
    if (!marking) {
      const early = at - lead - clock.now();
      if (early > 0) await sleep(clock, early, o.signal);
      if (o.signal?.aborted) return { retakes, placeable: false };
      marking = mark();
    }
    const wait = at - clock.now();
    if (wait > 0) await sleep(clock, wait, o.signal);
    if (!(await marking)) return { retakes, placeable: false };
    if (o.signal?.aborted) return { retakes, placeable: true };
    if (clock.now() - at <= o.toleranceMs) return { retakes, placeable: true };
    retakes++;
    grant = await o.retake(grant);
  }
}

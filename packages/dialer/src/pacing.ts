import type { Db } from '@switchboard/store';
import type { ClaimResult } from './claim.js';
import { retakeGrant } from './repos/slots.js';
import { type Clock, sleep } from './types.js';

export type ClaimedCall = Extract<ClaimResult, { kind: 'claimed' }>;

/**
 * Waits until a claimed call's placement time, its grant plus `placeDelayMs`, so the carrier sees
 * calls spaced as their grants were. When the process is later than that by more than
 * `toleranceMs` (a slow commit, a stalled event loop), placing now could bunch the call with ones
 * granted after it, beyond the rate: its grant is re-taken at the current time instead and the
 * wait starts over. Returns how many grants had to be re-taken.
 *
 * With `placeDelayMs` 0 nothing is paced: every commit would make the call late.
 */
export async function awaitPlacementTime(o: {
  db: Db;
  clock: Clock;
  holder: string;
  leaseTtlMs: number;
  placeDelayMs: number;
  toleranceMs: number;
  claimed: ClaimedCall;
}): Promise<number> {
  const { clock, claimed } = o;
  if (o.placeDelayMs <= 0) return 0;
  let grantedAt = claimed.grantedAt;
  let grantId: string | null = claimed.grantId;
  let retakes = 0;
  for (;;) {
    if (grantId !== null) {
      const wait = grantedAt + o.placeDelayMs - clock.now();
      if (wait > 0) await sleep(clock, wait);
      if (clock.now() - (grantedAt + o.placeDelayMs) <= o.toleranceMs) return retakes;
      retakes++;
    }
    const r = await retakeGrant(o.db, {
      callId: claimed.call.id,
      holder: o.holder,
      grantId,
      from: claimed.from,
      now: () => new Date(clock.now()),
      leaseTtlMs: o.leaseTtlMs,
      limits: claimed.rate,
    });
    grantId = r.grantId;
    grantedAt = r.grantedAt;
    if (grantId === null) await sleep(clock, r.waitMs);
  }
}

import type { Call, Db } from '@switchboard/store';
import { schema } from '@switchboard/store';
import { eq } from 'drizzle-orm';
import { cancelQueuedCalls, lockCall, markDialing } from './repos/calls.js';
import { contactForCall, setContact } from './repos/contacts.js';
import { getLimits } from './repos/settings.js';
import { type RateCandidate, type SlotLimits, takeSlots } from './repos/slots.js';

export interface LimitDefaults {
  maxConcurrentCallsPerWorkspace: number;
  callsPerSecondPerNumber: number;
  /** Added to the one-second rate window to absorb timer jitter. */
  rateMarginMs: number;
  /**
   * Every call is placed exactly this long after its rate grant, so the carrier sees the grant
   * times shifted, never bunched: a call whose commit took longer only waits less.
   */
  placeDelayMs: number;
}

export type ClaimResult =
  | {
      kind: 'claimed';
      call: Call;
      from: RateCandidate;
      grantedAt: number;
      grantId: string;
      /** The rate the grant was taken under, for re-taking it (`retakeGrant`). */
      rate: Pick<SlotLimits, 'perNumberRate' | 'rateWindowMs'>;
    }
  | { kind: 'gone' }
  | { kind: 'full'; scope: 'workspace' | 'campaign' }
  | { kind: 'rate'; waitMs: number };

/**
 * The one step that decides a call will be placed: under the call's row lock it checks that the
 * call is still queued and its campaign still active, takes its slots and a rate grant, and moves
 * it to `ringing`. A second job for the same call (redelivery after a crash, a duplicate send)
 * finds it no longer queued and does nothing.
 */
export async function claimCall(
  db: Db,
  input: {
    callId: string;
    candidates: RateCandidate[];
    holder: string;
    /** Read when needed, not once up front: a claim may wait on another process's locks. */
    now: () => Date;
    leaseTtlMs: number;
    defaults: LimitDefaults;
  },
): Promise<ClaimResult> {
  return db.transaction(async (tx) => {
    const call = await lockCall(tx, input.callId);
    if (call?.status !== 'queued') return { kind: 'gone' };
    let campaignMax: number | undefined;
    if (call.campaignId) {
      const [c] = await tx.select().from(schema.campaigns).where(eq(schema.campaigns.id, call.campaignId));
      if (c?.status !== 'active') {
        // Pausing withdraws queued calls itself; this covers a job that raced with it.
        await cancelQueuedCalls(tx, { id: call.id }, input.now(), `campaign ${c?.status ?? 'deleted'}`);
        const contact = await contactForCall(tx, call.id);
        if (contact) {
          await setContact(
            tx,
            contact.id,
            c?.status === 'paused'
              ? { status: 'pending', attempts: Math.max(0, contact.attempts - 1) }
              : { status: 'cancelled', lastOutcome: 'cancelled' },
            input.now(),
          );
        }
        return { kind: 'gone' };
      }
      campaignMax = c.maxConcurrency;
    }
    const overrides = await getLimits(tx as unknown as Db, call.workspaceId);
    const limits: SlotLimits = {
      workspaceMax: overrides.maxConcurrentCalls ?? input.defaults.maxConcurrentCallsPerWorkspace,
      campaignMax,
      perNumberRate: overrides.callsPerSecondPerNumber ?? input.defaults.callsPerSecondPerNumber,
      rateWindowMs: 1000 + input.defaults.rateMarginMs,
    };
    const decision = await takeSlots(tx, {
      callId: call.id,
      workspaceId: call.workspaceId,
      campaignId: call.campaignId,
      holder: input.holder,
      now: input.now,
      leaseTtlMs: input.leaseTtlMs,
      candidates: input.candidates,
      limits,
    });
    if (decision.kind !== 'granted') return decision;
    const claimed = await markDialing(
      tx,
      call.id,
      decision.from.number,
      decision.from.connector,
      input.now(),
    );
    return {
      kind: 'claimed',
      call: claimed,
      from: decision.from,
      grantedAt: decision.grantedAt,
      grantId: decision.grantId,
      rate: { perNumberRate: limits.perNumberRate, rateWindowMs: limits.rateWindowMs },
    };
  });
}

import type { CallOutcome } from '@switchboard/core';
import { type Call, type Db, schema } from '@switchboard/store';
import { eq, sql } from 'drizzle-orm';
import { breakerTrips, nextForContact } from './policy.js';
import { type CallEnd, endCall } from './repos/calls.js';
import { pauseIn, recentOutcomes } from './repos/campaigns.js';
import { contactForCall, setContact } from './repos/contacts.js';
import { releaseLease, type Tx, takeExpiredLease } from './repos/slots.js';

export const SLOTS_CHANNEL = 'dialer_slots';

/**
 * Ends a call and frees its slots in one transaction, then moves its campaign contact on (done,
 * retry later, cancelled) and trips the campaign's circuit breaker when recent calls mostly fail.
 * Every terminal path (the carrier's answer, cancel, max duration, shutdown, an expired lease)
 * goes through here, so a slot cannot outlive its call.
 *
 * `expiredAt`: only end the call if its lease is still expired at that time (the sweeper path),
 * so a worker that just renewed keeps its call.
 */
export async function finishCall(
  db: Db,
  callId: string,
  end: CallEnd,
  now: Date,
  options: { expiredAt?: Date } = {},
): Promise<{ call: Call | undefined; wrote: boolean }> {
  return db.transaction(async (tx) => {
    if (options.expiredAt && !(await takeExpiredLease(tx, callId, options.expiredAt))) {
      return { call: undefined, wrote: false };
    }
    const before = await tx
      .select({ status: schema.calls.status })
      .from(schema.calls)
      .where(eq(schema.calls.id, callId));
    const call = await endCall(tx, callId, end, now);
    await releaseLease(tx, callId);
    if (call?.campaignId) await advanceContact(tx, call, now);
    await tx.execute(sql`select pg_notify(${SLOTS_CHANNEL}, ${call?.workspaceId ?? ''})`);
    return { call, wrote: before[0]?.status !== 'ended' };
  });
}

async function advanceContact(tx: Tx, call: Call, now: Date): Promise<void> {
  const contact = await contactForCall(tx, call.id);
  if (contact?.status !== 'queued') return;
  const [campaign] = await tx
    .select()
    .from(schema.campaigns)
    .where(eq(schema.campaigns.id, call.campaignId!));
  if (!campaign) return;
  const outcome = (call.outcome ?? 'failed') as CallOutcome;
  let next = nextForContact(outcome, contact.attempts, campaign.retry);
  if (next.status === 'pending' && campaign.status === 'cancelled') next = { status: 'cancelled' };
  await setContact(
    tx,
    contact.id,
    next.status === 'pending'
      ? { status: 'pending', lastOutcome: outcome, nextAttemptAt: new Date(now.getTime() + next.delayMs) }
      : { status: next.status, lastOutcome: outcome },
    now,
  );
  if (campaign.status !== 'active' || outcome !== 'failed') return;
  const recent = await recentOutcomes(tx, campaign.id, campaign.breaker.window);
  if (breakerTrips(recent, campaign.breaker)) {
    const failed = recent.filter((o) => o === 'failed').length;
    await pauseIn(
      tx,
      campaign.id,
      `circuit breaker: ${failed} of the last ${recent.length} calls failed`,
      now,
    );
  }
}

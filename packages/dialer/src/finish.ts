import type { CallOutcome } from '@switchboard/core';
import { type Call, type Db, schema } from '@switchboard/store';
import { eq, sql } from 'drizzle-orm';
import { breakerTrips, nextForContact } from './policy.js';
import type { DialQueue } from './queue.js';
import { type CallEnd, endCalls, getCalls, requeueCalls } from './repos/calls.js';
import { pauseIn, recentOutcomes } from './repos/campaigns.js';
import { contactForCall, setContact } from './repos/contacts.js';
import { holdsLease, releaseLeases, type Tx, takeExpiredLease, takeLeaseNotHeldBy } from './repos/slots.js';

export const SLOTS_CHANNEL = 'dialer_slots';

export interface CallEnding {
  callId: string;
  end: CallEnd;
  at: Date;
}

export interface Finished {
  call: Call | undefined;
  /** False when the call had already ended (the call session recorded it first). */
  wrote: boolean;
}

/**
 * Ends calls and frees their slots in one transaction, then moves their campaign contacts on
 * (done, retry later, cancelled) and trips a campaign's circuit breaker when its recent calls
 * mostly fail. Every terminal path (the carrier's answer, cancel, max duration, shutdown, an
 * expired lease) goes through here, so a slot cannot outlive its call. A few statements serve
 * the whole batch; campaign calls add their contact's.
 */
export async function finishCalls(
  db: Db,
  endings: CallEnding[],
  /** Awaited between statements; see `ClaimOptions.pause`. */
  pause: () => Promise<void> = async () => {},
): Promise<Map<string, Finished>> {
  if (endings.length === 0) return new Map();
  return db.transaction((tx) => finishIn(tx, endings, pause));
}

/**
 * One call; see `finishCalls`. `expiredAt`: only end the call if its lease is still expired at
 * that time (the sweeper path), so a worker that just renewed keeps its call.
 */
export async function finishCall(
  db: Db,
  callId: string,
  end: CallEnd,
  now: Date,
  options: { expiredAt?: Date } = {},
): Promise<Finished> {
  return db.transaction(async (tx) => {
    if (options.expiredAt && !(await takeExpiredLease(tx, callId, options.expiredAt))) {
      return { call: undefined, wrote: false };
    }
    const r = await finishIn(tx, [{ callId, end, at: now }]);
    return r.get(callId) ?? { call: undefined, wrote: false };
  });
}

/** The numbers a put-back call may go out on (its job's), or its claimed number when unknown. */
export interface PutBack {
  callId: string;
  callerIds?: { number: string; connector: string }[] | undefined;
}

/**
 * A claimed call that never reached the carrier goes back to the queue with a new dispatch job:
 * it is dialled again and uses no attempt (its campaign contact stays queued on the same call).
 * One that may have reached it (`markPlacing` ran) is ended with `otherwise` instead, never
 * dialled twice. The caller's transaction holds the call's lease, which this frees.
 */
async function requeueOrEnd(
  tx: Tx,
  queue: DialQueue,
  item: PutBack,
  now: Date,
  otherwise: CallEnd,
): Promise<{ requeued: boolean; finished?: Finished | undefined }> {
  const [moved] = await requeueCalls(tx, [item.callId], now);
  if (!moved) {
    const r = await finishIn(tx, [{ callId: item.callId, end: otherwise, at: now }]);
    return { requeued: false, finished: r.get(item.callId) };
  }
  await releaseLeases(tx, [item.callId]);
  const callerIds = item.callerIds?.length
    ? item.callerIds
    : [{ number: moved.fromNumber, connector: moved.connector }];
  await queue.sendInTx(tx, [{ callId: item.callId, callerIds }]);
  await tx.execute(sql`select pg_notify(${SLOTS_CHANNEL}, '')`);
  return { requeued: true };
}

/**
 * Gives back a call this holder claimed and did not place (the dialer stopping, pacing that could
 * not be done): see `requeueOrEnd`. Nothing happens when the lease is no longer this holder's
 * (another process swept it and decided).
 */
export async function putBack(
  db: Db,
  queue: DialQueue,
  item: PutBack,
  holder: string,
  now: Date,
  otherwise: CallEnd,
): Promise<{ requeued: boolean; finished?: Finished | undefined }> {
  return db.transaction(async (tx) => {
    if (!(await holdsLease(tx, item.callId, holder))) return { requeued: false };
    return requeueOrEnd(tx, queue, item, now, otherwise);
  });
}

/**
 * The sweeper's path for a lease its worker stopped renewing (a crash): a call the worker never
 * handed to the carrier is queued again; one it did is ended failed. Nothing when the lease was
 * renewed or taken meanwhile.
 */
export async function sweepExpiredLease(
  db: Db,
  queue: DialQueue,
  callId: string,
  now: Date,
  /** Take the lease whatever its expiry when another holder has it (PGlite at start). */
  o: { notHeldBy?: string } = {},
): Promise<'requeued' | 'ended' | undefined> {
  return db.transaction(async (tx) => {
    const taken = o.notHeldBy
      ? await takeLeaseNotHeldBy(tx, callId, o.notHeldBy)
      : await takeExpiredLease(tx, callId, now);
    if (!taken) return undefined;
    const r = await requeueOrEnd(tx, queue, { callId }, now, {
      outcome: 'failed',
      endedReason: 'failed',
      error: 'the worker running the call stopped',
    });
    if (r.requeued) return 'requeued';
    return r.finished?.call ? 'ended' : undefined;
  });
}

async function finishIn(
  tx: Tx,
  endings: CallEnding[],
  pause: () => Promise<void> = async () => {},
): Promise<Map<string, Finished>> {
  const ids = endings.map((e) => e.callId);
  const wrote = await endCalls(tx, endings);
  await pause();
  const ended = new Set(wrote.map((c) => c.id));
  const rest = await getCalls(
    tx,
    ids.filter((id) => !ended.has(id)),
  );
  await releaseLeases(tx, ids);
  await pause();
  const out = new Map<string, Finished>();
  for (const c of wrote) out.set(c.id, { call: c, wrote: true });
  for (const c of rest) out.set(c.id, { call: c, wrote: false });
  const at = new Map(endings.map((e) => [e.callId, e.at]));
  for (const { call } of out.values()) {
    if (call?.campaignId) await advanceContact(tx, call, at.get(call.id)!);
  }
  await tx.execute(sql`select pg_notify(${SLOTS_CHANNEL}, '')`);
  return out;
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
  // Calls queued before the campaign was last resumed (or edited) do not count: resuming after
  // fixing the cause starts the breaker's count afresh instead of re-tripping on old failures.
  const recent = await recentOutcomes(tx, campaign.id, campaign.breaker.window, campaign.updatedAt);
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

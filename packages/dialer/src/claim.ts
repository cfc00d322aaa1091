import type { Call, Db } from '@switchboard/store';
import { schema } from '@switchboard/store';
import { inArray } from 'drizzle-orm';
import { isOpen } from './calling-window.js';
import type { Campaign } from './model.js';
import { cancelQueuedCalls, type LockedCall, lockCalls, markDialing } from './repos/calls.js';
import { contactForCall, setContact } from './repos/contacts.js';
import { limitsOf } from './repos/settings.js';
import {
  campaignLock,
  countLeases,
  type Grant,
  insertGrants,
  insertLeases,
  type KeySchedule,
  loadSchedules,
  lockAll,
  type RateCandidate,
  type RateLimit,
  rateKey,
  rateLock,
  type Tx,
  workspaceLock,
} from './repos/slots.js';

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
  /**
   * How far ahead of now a claim may plan a call's grant. Claims then keep up with the rate in
   * batches instead of one round trip per call; a planned call holds its concurrency slot while
   * it waits.
   */
  planAheadMs?: number;
}

export const DEFAULT_PLAN_AHEAD_MS = 500;

export type ClaimResult =
  | {
      kind: 'claimed';
      call: Call;
      from: RateCandidate;
      /** The planned time of its rate grant; the call is placed `placeDelayMs` after it. */
      grantedAt: number;
      grant: Grant;
      /** The rate the grant was taken under, for re-taking it (`retakeGrant`). */
      rate: RateLimit;
    }
  | { kind: 'gone' }
  | { kind: 'full'; scope: 'workspace' | 'campaign' }
  | { kind: 'rate'; waitMs: number };

export interface ClaimInput {
  callId: string;
  /** Numbers the call may go out on, in order of preference when several have room. */
  candidates: RateCandidate[];
}

export interface ClaimOptions {
  holder: string;
  /** Read when needed, not once up front: a claim may wait on another process's locks. */
  now: () => Date;
  leaseTtlMs: number;
  defaults: LimitDefaults;
  /**
   * Awaited between the transaction's statements. On PGlite, which runs queries on this thread,
   * the dialer yields to the event loop here so placement timers fire on time during a claim.
   */
  pause?: (() => Promise<void>) | undefined;
}

/**
 * The one step that decides calls will be placed, for a batch of calls in one transaction. Under
 * the calls' row locks it checks that each is still queued, its campaign still active and inside
 * its calling window; under the workspace, campaign and number locks it takes concurrency slots
 * (leases) and plans a rate grant for each call on the number with the earliest free time, and
 * moves the claimed calls to `ringing`. A second job for the same call (redelivery after a crash,
 * a duplicate send) finds it no longer queued and does nothing.
 *
 * A few statements serve the whole batch, whatever its size: this is what lets dispatch keep up
 * with the configured rate.
 */
export async function claimCalls(
  db: Db,
  inputs: ClaimInput[],
  o: ClaimOptions,
): Promise<Map<string, ClaimResult>> {
  const results = new Map<string, ClaimResult>();
  const byId = new Map(inputs.map((i) => [i.callId, i]));
  if (byId.size === 0) return results;
  await db.transaction(async (tx) => {
    const pause = o.pause ?? (async () => {});
    // Locked in id order; claimed in the order asked (the queue's).
    const order = new Map([...byId.keys()].map((id, i) => [id, i]));
    const locked = (await lockCalls(tx, [...byId.keys()])).sort(
      (a, b) => order.get(a.id)! - order.get(b.id)!,
    );
    await pause();
    for (const id of byId.keys()) results.set(id, { kind: 'gone' });
    const queued = locked.filter((c) => c.status === 'queued');
    if (queued.length === 0) return;
    const workspaceIds = [...new Set(queued.map((c) => c.workspaceId))].sort();
    const campaignIds = [...new Set(queued.flatMap((c) => (c.campaignId ? [c.campaignId] : [])))].sort();
    const lockedKeys = [...new Set(queued.flatMap((c) => byId.get(c.id)!.candidates.map(rateKey)))].sort();
    await lockAll(tx, [
      ...workspaceIds.map(workspaceLock),
      ...campaignIds.map(campaignLock),
      ...lockedKeys.map(rateLock),
    ]);
    await pause();
    const now = o.now();
    const t0 = now.getTime();
    const used = await countLeases(tx, workspaceIds, now);
    const overrides = await limitsOf(tx, workspaceIds);
    await pause();
    // The campaigns are read after the slots, never before: the transaction that frees a slot
    // may also pause its campaign (the breaker tripping as its last call ended). Read first, the
    // campaign could look active while the slot counted as free, and a call would go out after
    // the pause.
    const campaigns = new Map(
      campaignIds.length === 0
        ? []
        : (await tx.select().from(schema.campaigns).where(inArray(schema.campaigns.id, campaignIds))).map(
            (c) => [c.id, c],
          ),
    );
    const live: LockedCall[] = [];
    for (const call of queued) {
      const campaign = call.campaignId ? campaigns.get(call.campaignId) : undefined;
      if (call.campaignId && !(await campaignAllows(tx, call, campaign, o.now()))) continue;
      live.push(call);
    }
    if (live.length === 0) return;
    const keys = [...new Set(live.flatMap((c) => byId.get(c.id)!.candidates.map(rateKey)))].sort();
    const rates = new Map<string, RateLimit>();
    const rateOf = (workspaceId: string): RateLimit => {
      let r = rates.get(workspaceId);
      if (!r) {
        r = {
          perNumberRate:
            overrides.get(workspaceId)?.callsPerSecondPerNumber ?? o.defaults.callsPerSecondPerNumber,
          rateWindowMs: 1000 + o.defaults.rateMarginMs,
        };
        rates.set(workspaceId, r);
      }
      return r;
    };
    // A number belongs to one workspace, so each key has one rate.
    const keyRate = new Map<string, RateLimit>();
    for (const c of live)
      for (const k of byId.get(c.id)!.candidates) keyRate.set(rateKey(k), rateOf(c.workspaceId));
    const schedules = new Map<string, KeySchedule>();
    for (const [rate, ks] of groupBy(keys, (k) => keyRate.get(k)!)) {
      for (const [k, s] of await loadSchedules(tx, ks, t0, rate)) schedules.set(k, s);
    }
    await pause();
    const horizon = t0 + (o.defaults.planAheadMs ?? DEFAULT_PLAN_AHEAD_MS);

    const grants: (Grant & { call: LockedCall; from: RateCandidate })[] = [];
    for (const call of live) {
      const wsMax =
        overrides.get(call.workspaceId)?.maxConcurrentCalls ?? o.defaults.maxConcurrentCallsPerWorkspace;
      const wsUsed = used.workspace.get(call.workspaceId) ?? 0;
      if (wsUsed >= wsMax) {
        results.set(call.id, { kind: 'full', scope: 'workspace' });
        continue;
      }
      const campaign = call.campaignId ? campaigns.get(call.campaignId) : undefined;
      const campaignUsed = campaign ? (used.campaign.get(campaign.id) ?? 0) : 0;
      if (campaign && campaignUsed >= campaign.maxConcurrency) {
        results.set(call.id, { kind: 'full', scope: 'campaign' });
        continue;
      }
      let best: { from: RateCandidate; at: number } | undefined;
      for (const from of byId.get(call.id)!.candidates) {
        const at = schedules.get(rateKey(from))!.next(t0);
        if (!best || at < best.at) best = { from, at };
      }
      if (!best) continue;
      if (best.at > horizon) {
        results.set(call.id, { kind: 'rate', waitMs: Math.max(1, best.at - horizon) });
        continue;
      }
      schedules.get(rateKey(best.from))!.add(best.at);
      used.workspace.set(call.workspaceId, wsUsed + 1);
      if (campaign) used.campaign.set(campaign.id, campaignUsed + 1);
      grants.push({ key: rateKey(best.from), at: best.at, call, from: best.from });
    }
    if (grants.length === 0) return;

    await insertGrants(tx, grants);
    await pause();
    await insertLeases(
      tx,
      grants.map((g) => ({
        callId: g.call.id,
        workspaceId: g.call.workspaceId,
        campaignId: g.call.campaignId,
        holder: o.holder,
        acquiredAt: now,
        expiresAt: new Date(Math.max(t0, g.at) + o.leaseTtlMs),
      })),
    );
    await pause();
    const rows = await markDialing(
      tx,
      grants.map((g) => ({ callId: g.call.id, from: g.from.number, connector: g.from.connector })),
      now,
    );
    const byCall = new Map(rows.map((r) => [r.id, r]));
    for (const g of grants) {
      results.set(g.call.id, {
        kind: 'claimed',
        call: byCall.get(g.call.id)!,
        from: g.from,
        grantedAt: g.at,
        grant: { key: g.key, at: g.at },
        rate: keyRate.get(g.key)!,
      });
    }
  });
  return results;
}

/** One call; see `claimCalls`. */
export async function claimCall(db: Db, input: ClaimInput & ClaimOptions): Promise<ClaimResult> {
  const r = await claimCalls(db, [{ callId: input.callId, candidates: input.candidates }], input);
  return r.get(input.callId) ?? { kind: 'gone' };
}

/**
 * Whether a queued campaign call may still go out now. One whose campaign stopped, or whose
 * calling window closed while it waited for a slot, is withdrawn: the call ends cancelled and its
 * contact goes back to pending (a paused campaign or a closed window does not use up an attempt)
 * or is cancelled with the campaign.
 */
async function campaignAllows(
  tx: Tx,
  call: LockedCall,
  c: Campaign | undefined,
  now: Date,
): Promise<boolean> {
  const closed = c?.status === 'active' && c.callingWindow && !isOpen(c.callingWindow, now.getTime());
  if (c?.status === 'active' && !closed) return true;
  // Pausing withdraws queued calls itself; this covers a job that raced with it.
  const why = closed ? 'outside the calling window' : `campaign ${c?.status ?? 'deleted'}`;
  await cancelQueuedCalls(tx, { id: call.id }, now, why);
  const contact = await contactForCall(tx, call.id);
  if (contact) {
    await setContact(
      tx,
      contact.id,
      closed || c?.status === 'paused'
        ? { status: 'pending', attempts: Math.max(0, contact.attempts - 1) }
        : { status: 'cancelled', lastOutcome: 'cancelled' },
      now,
    );
  }
  return false;
}

function groupBy<T, K>(xs: T[], key: (x: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const x of xs) {
    const k = key(x);
    const g = m.get(k);
    if (g) g.push(x);
    else m.set(k, [x]);
  }
  return m;
}

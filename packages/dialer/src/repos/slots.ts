import { type Db, schema } from '@switchboard/store';
import { and, eq, lt, sql } from 'drizzle-orm';

const { dialerLeases, dialerRateGrants } = schema;

/** A drizzle transaction over the platform database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface RateCandidate {
  number: string;
  connector: string;
}

export interface SlotLimits {
  workspaceMax: number;
  campaignMax?: number | undefined;
  /** Dispatches allowed per rate key within any `rateWindowMs`. */
  perNumberRate: number;
  /** 1000 plus a margin for the time between the grant and the carrier seeing the call. */
  rateWindowMs: number;
}

export type SlotDecision =
  | { kind: 'granted'; from: RateCandidate; grantedAt: number }
  | { kind: 'full'; scope: 'workspace' | 'campaign' }
  | { kind: 'rate'; waitMs: number };

export const rateKey = (c: RateCandidate) => `${c.connector}:${c.number}`;

/**
 * Takes the concurrency slots and one rate grant for a call, all or nothing, inside the caller's
 * transaction. Advisory transaction locks serialise takers of the same workspace, campaign and
 * number across processes, always in that order, so counting then inserting cannot overshoot.
 * A lease that expired counts as free: its worker is gone, and the sweeper ends its call.
 */
export async function takeSlots(
  tx: Tx,
  input: {
    callId: string;
    workspaceId: string;
    campaignId: string | null;
    holder: string;
    /** Read after the locks are held, so grants are recorded in the order they were made. */
    now: () => Date;
    leaseTtlMs: number;
    candidates: RateCandidate[];
    limits: SlotLimits;
  },
): Promise<SlotDecision> {
  const { limits } = input;
  await lock(tx, `dialer:ws:${input.workspaceId}`);
  if (input.campaignId) await lock(tx, `dialer:campaign:${input.campaignId}`);
  const now = input.now();
  const iso = now.toISOString();
  const [live] = await tx
    .select({
      ws: sql<number>`count(*) filter (where ${dialerLeases.workspaceId} = ${input.workspaceId})::int`,
      campaign: sql<number>`count(*) filter (where ${dialerLeases.campaignId} = ${input.campaignId})::int`,
    })
    .from(dialerLeases)
    .where(
      and(
        sql`(${dialerLeases.workspaceId} = ${input.workspaceId} or ${dialerLeases.campaignId} = ${input.campaignId})`,
        sql`${dialerLeases.expiresAt} > ${iso}::timestamptz`,
      ),
    );
  if ((live?.ws ?? 0) >= limits.workspaceMax) return { kind: 'full', scope: 'workspace' };
  if (input.campaignId && limits.campaignMax !== undefined && (live?.campaign ?? 0) >= limits.campaignMax) {
    return { kind: 'full', scope: 'campaign' };
  }
  let waitMs = Number.POSITIVE_INFINITY;
  let chosen: RateCandidate | undefined;
  let grantedAt = 0;
  for (const c of input.candidates) {
    const key = rateKey(c);
    await lock(tx, `dialer:rate:${key}`);
    const t = input.now();
    const since = new Date(t.getTime() - limits.rateWindowMs).toISOString();
    // One statement: prune the log, count the window, and record a grant if there is room. The
    // count filters on `since` itself because the pruning is not visible within the statement.
    const r = await tx.execute(sql`
      with pruned as (delete from ${dialerRateGrants} where key = ${key} and at < ${since}::timestamptz),
      win as (select count(*)::int as n, min(at) as oldest from ${dialerRateGrants}
              where key = ${key} and at >= ${since}::timestamptz),
      granted as (insert into ${dialerRateGrants} (key, at)
                  select ${key}, ${t.toISOString()}::timestamptz from win where n < ${limits.perNumberRate}
                  returning id)
      select (select count(*)::int from granted) as granted, (select oldest from win) as oldest`);
    const row = (r as unknown as { rows: { granted: number; oldest: Date | string | null }[] }).rows[0];
    if ((row?.granted ?? 0) > 0) {
      chosen = c;
      grantedAt = t.getTime();
      break;
    }
    // The oldest grant leaves the window (at + window) strictly after `since`: wait that long.
    const oldest = row?.oldest ? new Date(row.oldest).getTime() : t.getTime();
    waitMs = Math.min(waitMs, Math.max(1, oldest + limits.rateWindowMs - t.getTime() + 1));
  }
  if (!chosen) return { kind: 'rate', waitMs: Number.isFinite(waitMs) ? waitMs : 1000 };
  await tx.insert(dialerLeases).values({
    callId: input.callId,
    workspaceId: input.workspaceId,
    campaignId: input.campaignId,
    holder: input.holder,
    acquiredAt: now,
    expiresAt: new Date(now.getTime() + input.leaseTtlMs),
  });
  return { kind: 'granted', from: chosen, grantedAt };
}

async function lock(tx: Tx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
}

/** Extends a running call's lease; false when it is gone (swept after a stall): stop the call. */
export async function renewLease(db: Db, callId: string, holder: string, expiresAt: Date): Promise<boolean> {
  const rows = await db
    .update(dialerLeases)
    .set({ expiresAt })
    .where(and(eq(dialerLeases.callId, callId), eq(dialerLeases.holder, holder)))
    .returning({ callId: dialerLeases.callId });
  return rows.length > 0;
}

/** Frees the call's slots; the caller's transaction also records the call's end. */
export async function releaseLease(tx: Tx, callId: string): Promise<void> {
  await tx.delete(dialerLeases).where(eq(dialerLeases.callId, callId));
}

/** Leases whose worker stopped renewing them. */
export async function expiredLeases(db: Db, now: Date, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ callId: dialerLeases.callId })
    .from(dialerLeases)
    .where(lt(dialerLeases.expiresAt, now))
    .limit(limit);
  return rows.map((r) => r.callId);
}

/** Claims an expired lease for ending its call; null when it was renewed or taken meanwhile. */
export async function takeExpiredLease(tx: Tx, callId: string, now: Date): Promise<string | null> {
  const rows = await tx
    .delete(dialerLeases)
    .where(and(eq(dialerLeases.callId, callId), lt(dialerLeases.expiresAt, now)))
    .returning({ callId: dialerLeases.callId });
  return rows[0]?.callId ?? null;
}

/** Live slot counts, for tests and the API. */
export async function liveLeases(db: Db, now: Date, where: { workspaceId?: string; campaignId?: string }) {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(dialerLeases)
    .where(
      and(
        where.workspaceId ? eq(dialerLeases.workspaceId, where.workspaceId) : undefined,
        where.campaignId ? eq(dialerLeases.campaignId, where.campaignId) : undefined,
        sql`${dialerLeases.expiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    );
  return row?.n ?? 0;
}

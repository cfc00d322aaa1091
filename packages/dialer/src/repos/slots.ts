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
  | { kind: 'granted'; from: RateCandidate; grantedAt: number; grantId: string }
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
  let grantId = '';
  for (const c of input.candidates) {
    const key = rateKey(c);
    await lock(tx, `dialer:rate:${key}`);
    const t = input.now();
    const g = await grant(tx, key, t.getTime(), limits);
    if (g.grantId !== null) {
      chosen = c;
      grantedAt = t.getTime();
      grantId = g.grantId;
      break;
    }
    waitMs = Math.min(waitMs, g.waitMs);
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
  return { kind: 'granted', from: chosen, grantedAt, grantId };
}

/**
 * Records a grant at `t` on `key` if its window has room, under the caller's lock on the key.
 * One statement: prune the log, count the window, and insert. The count filters on `since` itself
 * because the pruning is not visible within the statement.
 */
async function grant(
  tx: Tx,
  key: string,
  t: number,
  limits: Pick<SlotLimits, 'perNumberRate' | 'rateWindowMs'>,
): Promise<{ grantId: string | null; waitMs: number }> {
  const since = new Date(t - limits.rateWindowMs).toISOString();
  const r = await tx.execute(sql`
    with pruned as (delete from ${dialerRateGrants} where key = ${key} and at < ${since}::timestamptz),
    win as (select count(*)::int as n, min(at) as oldest from ${dialerRateGrants}
            where key = ${key} and at >= ${since}::timestamptz),
    granted as (insert into ${dialerRateGrants} (key, at)
                select ${key}, ${new Date(t).toISOString()}::timestamptz from win
                where n < ${limits.perNumberRate}
                returning id)
    select (select id::text from granted) as granted, (select oldest from win) as oldest`);
  const row = (r as unknown as { rows: { granted: string | null; oldest: Date | string | null }[] }).rows[0];
  if (row?.granted) return { grantId: row.granted, waitMs: 0 };
  // The oldest grant leaves the window (at + window) strictly after \`since\`: wait that long.
  const oldest = row?.oldest ? new Date(row.oldest).getTime() : t;
  return { grantId: null, waitMs: Math.max(1, oldest + limits.rateWindowMs - t + 1) };
}

/**
 * Moves a claimed call's rate grant to now. A call that could not be placed on time after its grant
 * (a loaded process, a slow commit) would otherwise reach the carrier bunched with calls granted
 * after it, beyond the rate. Frees the old grant, takes a new one if the window has room, and
 * extends the call's lease while it waits. `grantId` null: the old grant was already freed.
 */
export async function retakeGrant(
  db: Db,
  input: {
    callId: string;
    holder: string;
    grantId: string | null;
    from: RateCandidate;
    now: () => Date;
    leaseTtlMs: number;
    limits: Pick<SlotLimits, 'perNumberRate' | 'rateWindowMs'>;
  },
): Promise<{ grantId: string | null; grantedAt: number; waitMs: number }> {
  return db.transaction(async (tx) => {
    const key = rateKey(input.from);
    await lock(tx, `dialer:rate:${key}`);
    if (input.grantId) {
      await tx.delete(dialerRateGrants).where(eq(dialerRateGrants.id, Number(input.grantId)));
    }
    const t = input.now().getTime();
    await tx
      .update(dialerLeases)
      .set({ expiresAt: new Date(t + input.leaseTtlMs) })
      .where(and(eq(dialerLeases.callId, input.callId), eq(dialerLeases.holder, input.holder)));
    const g = await grant(tx, key, t, input.limits);
    return { ...g, grantedAt: t };
  });
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

import { type Db, schema } from '@switchboard/store';
import { and, eq, inArray, lt, ne, sql } from 'drizzle-orm';

const { dialerLeases, dialerRateGrants } = schema;

/** A drizzle transaction over the platform database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface RateCandidate {
  number: string;
  connector: string;
}

export interface RateLimit {
  /** Dispatches allowed per rate key within any `rateWindowMs`. */
  perNumberRate: number;
  /** 1000 plus a margin for the time between the grant and the carrier seeing the call. */
  rateWindowMs: number;
}

export interface SlotLimits extends RateLimit {
  workspaceMax: number;
  campaignMax?: number | undefined;
}

/** A rate grant. Grants with the same key and time are interchangeable, so that names one. */
export interface Grant {
  key: string;
  at: number;
}

export const rateKey = (c: RateCandidate) => `${c.connector}:${c.number}`;

/**
 * One key's grants from the window before now onwards, planned ones included, in time order.
 * A new grant always goes after every existing one, so checking the window that ends at it is
 * enough for every window: the grant `perNumberRate` places back must be older than the window.
 * Grants are also spaced `rateWindowMs / perNumberRate` apart, so the carrier sees a steady rate
 * rather than a burst at the start of each second.
 */
export class KeySchedule {
  constructor(
    private readonly times: number[],
    private readonly rate: RateLimit,
  ) {}

  /** The earliest time at or after `notBefore` that one more grant may have. */
  next(notBefore: number): number {
    const { perNumberRate: n, rateWindowMs: w } = this.rate;
    const last = this.times.at(-1);
    let t = notBefore;
    if (last !== undefined) t = Math.max(t, last + Math.floor(w / n));
    const back = this.times[this.times.length - n];
    if (back !== undefined) t = Math.max(t, back + w + 1);
    return t;
  }

  add(t: number): void {
    this.times.push(t);
  }
}

/**
 * Takes advisory transaction locks in one round trip, in the order given. Every caller locks
 * workspaces, then campaigns, then rate keys, each group sorted, so two takers never wait on
 * each other in opposite orders.
 */
export async function lockAll(tx: Tx, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const values = sql.join(
    keys.map((k) => sql`(${k}::text)`),
    sql`, `,
  );
  await tx.execute(sql`select count(pg_advisory_xact_lock(hashtext(k))) from (values ${values}) as v(k)`);
}

export const workspaceLock = (id: string) => `dialer:ws:${id}`;
export const campaignLock = (id: string) => `dialer:campaign:${id}`;
export const rateLock = (key: string) => `dialer:rate:${key}`;

/**
 * The grants of `keys` that still matter at `now`, read under the keys' locks; older ones are
 * pruned in the same statement. Pruning keeps a second window, so a process whose clock runs a
 * little behind still sees the grants it must count.
 */
export async function loadSchedules(
  tx: Tx,
  keys: string[],
  now: number,
  rate: RateLimit,
): Promise<Map<string, KeySchedule>> {
  const out = new Map<string, KeySchedule>();
  if (keys.length === 0) return out;
  const list = sql.join(
    keys.map((k) => sql`${k}`),
    sql`, `,
  );
  const since = new Date(now - rate.rateWindowMs).toISOString();
  const prune = new Date(now - 2 * rate.rateWindowMs).toISOString();
  const r = await tx.execute(sql`
    with pruned as (delete from ${dialerRateGrants} where key in (${list}) and at < ${prune}::timestamptz)
    select key, at from ${dialerRateGrants}
    where key in (${list}) and at >= ${since}::timestamptz order by key, at, id`);
  const rows = (r as unknown as { rows: { key: string; at: Date | string }[] }).rows;
  const times = new Map<string, number[]>(keys.map((k) => [k, []]));
  for (const row of rows) times.get(row.key)?.push(new Date(row.at).getTime());
  for (const [k, t] of times) out.set(k, new KeySchedule(t, rate));
  return out;
}

export async function insertGrants(tx: Tx, grants: Grant[]): Promise<void> {
  if (grants.length === 0) return;
  await tx.insert(dialerRateGrants).values(grants.map((g) => ({ key: g.key, at: new Date(g.at) })));
}

/** Live (unexpired) leases per workspace and per campaign of the given workspaces. */
export async function countLeases(
  tx: Tx,
  workspaceIds: string[],
  now: Date,
): Promise<{ workspace: Map<string, number>; campaign: Map<string, number> }> {
  const rows = await tx
    .select({
      workspaceId: dialerLeases.workspaceId,
      campaignId: dialerLeases.campaignId,
      n: sql<number>`count(*)::int`,
    })
    .from(dialerLeases)
    .where(
      and(
        inArray(dialerLeases.workspaceId, workspaceIds),
        sql`${dialerLeases.expiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    )
    .groupBy(dialerLeases.workspaceId, dialerLeases.campaignId);
  const workspace = new Map<string, number>();
  const campaign = new Map<string, number>();
  for (const r of rows) {
    workspace.set(r.workspaceId, (workspace.get(r.workspaceId) ?? 0) + r.n);
    if (r.campaignId) campaign.set(r.campaignId, r.n);
  }
  return { workspace, campaign };
}

export async function insertLeases(tx: Tx, rows: (typeof dialerLeases.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await tx.insert(dialerLeases).values(rows);
}

export interface Retake {
  callId: string;
  holder: string;
  grant: Grant;
  limits: RateLimit;
}

/**
 * Moves claimed calls' rate grants to the first free times from now. A call that could not be
 * placed on time after its grant (a loaded process, a slow commit) would otherwise reach the
 * carrier bunched with calls granted after it, beyond the rate. Frees the old grants, takes the
 * next free time on each key, and extends each call's lease past it. Calls late together (after a
 * stall) are re-taken in one transaction.
 */
export async function retakeGrants(
  db: Db,
  items: Retake[],
  now: () => Date,
  leaseTtlMs: number,
): Promise<Grant[]> {
  if (items.length === 0) return [];
  return db.transaction(async (tx) => {
    const keys = [...new Set(items.map((i) => i.grant.key))].sort();
    await lockAll(tx, keys.map(rateLock));
    // Grants with the same key and time are interchangeable: free as many as were given back.
    const freed = new Map<string, { key: string; at: number; n: number }>();
    for (const { grant } of items) {
      const id = `${grant.key}@${grant.at}`;
      const f = freed.get(id);
      if (f) f.n++;
      else freed.set(id, { ...grant, n: 1 });
    }
    const values = sql.join(
      [...freed.values()].map(
        (f) => sql`(${f.key}::text, ${new Date(f.at).toISOString()}::timestamptz, ${f.n}::int)`,
      ),
      sql`, `,
    );
    await tx.execute(sql`
      delete from ${dialerRateGrants} where id in (
        select id from (
          select g.id, v.n, row_number() over (partition by g.key, g.at order by g.id) as rn
          from ${dialerRateGrants} g join (values ${values}) as v(key, at, n)
            on g.key = v.key and g.at = v.at
        ) s where rn <= n)`);
    const t = now().getTime();
    const schedules = new Map<string, KeySchedule>();
    for (const [limits, group] of groupByRate(items)) {
      const ks = [...new Set(group.map((i) => i.grant.key))];
      for (const [k, sch] of await loadSchedules(tx, ks, t, limits)) schedules.set(k, sch);
    }
    const grants = items.map((i) => {
      const schedule = schedules.get(i.grant.key)!;
      const at = schedule.next(t);
      schedule.add(at);
      return { key: i.grant.key, at };
    });
    await insertGrants(tx, grants);
    const latest = Math.max(...grants.map((g) => g.at));
    await tx
      .update(dialerLeases)
      .set({ expiresAt: new Date(latest + leaseTtlMs) })
      .where(
        inArray(
          dialerLeases.callId,
          items.map((i) => i.callId),
        ),
      );
    return grants;
  });
}

function groupByRate(items: Retake[]): Map<RateLimit, Retake[]> {
  const byValue = new Map<string, RateLimit>();
  const out = new Map<RateLimit, Retake[]>();
  for (const i of items) {
    const id = `${i.limits.perNumberRate}/${i.limits.rateWindowMs}`;
    const limits = byValue.get(id) ?? i.limits;
    byValue.set(id, limits);
    out.set(limits, [...(out.get(limits) ?? []), i]);
  }
  return out;
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

/** Frees the calls' slots; the caller's transaction also records the calls' ends. */
export async function releaseLeases(tx: Tx, callIds: string[]): Promise<void> {
  if (callIds.length > 0) await tx.delete(dialerLeases).where(inArray(dialerLeases.callId, callIds));
}

/** Whether `holder` holds the call's lease; locks the lease row for the rest of the transaction. */
export async function holdsLease(tx: Tx, callId: string, holder: string): Promise<boolean> {
  const rows = await tx
    .select({ callId: dialerLeases.callId })
    .from(dialerLeases)
    .where(and(eq(dialerLeases.callId, callId), eq(dialerLeases.holder, holder)))
    .for('update');
  return rows.length > 0;
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

/**
 * Leases of holders other than `holder`. Only for PGlite, which one process opens at a time: a
 * lease another holder left there belongs to a process that no longer runs.
 */
export async function leasesNotHeldBy(db: Db, holder: string, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ callId: dialerLeases.callId })
    .from(dialerLeases)
    .where(ne(dialerLeases.holder, holder))
    .limit(limit);
  return rows.map((r) => r.callId);
}

/** Takes a lease of another holder (see `leasesNotHeldBy`); null when there is none. */
export async function takeLeaseNotHeldBy(tx: Tx, callId: string, holder: string): Promise<string | null> {
  const rows = await tx
    .delete(dialerLeases)
    .where(and(eq(dialerLeases.callId, callId), ne(dialerLeases.holder, holder)))
    .returning({ callId: dialerLeases.callId });
  return rows[0]?.callId ?? null;
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

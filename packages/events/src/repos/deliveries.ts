import { notFound } from '@switchboard/core';
import { type Db, keyset, type PageQuery, toPage } from '@switchboard/store';
import { and, eq, getTableName, inArray, sql } from 'drizzle-orm';
import { type DeliveryRow, type DeliveryStatus, deliveries, outbox, webhooks } from '../tables.js';
import { rowsOf } from '../util.js';

/** A claimed delivery with what the sender needs. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  seq: number;
  type: string;
  workspaceId: string;
  callId: string;
  target: 'webhook' | 'agent' | 'mqtt';
  targetKey: string;
  format: DeliveryRow['format'];
  attempts: number;
  retryFrom: Date;
  payload: Record<string, unknown>;
  eventCreatedAt: Date;
  /** The webhook's current URL, or the agent config's URL when the event happened. */
  url: string | null;
  webhookId: string | null;
  secretCredentialId: string | null;
}

/** A claimed row as the database returns it (both drivers: snake case, int8 maybe a string). */
interface ClaimedRow {
  id: string;
  event_id: string;
  seq: number | string;
  type: string;
  workspace_id: string;
  call_id: string;
  target: ClaimedDelivery['target'];
  target_key: string;
  format: ClaimedDelivery['format'];
  attempts: number | string;
  retry_from: Date | string;
  payload: Record<string, unknown>;
  event_created_at: Date | string;
  url: string | null;
  webhook_id: string | null;
  secret_credential_id: string | null;
}

export interface DeliveryFilters extends PageQuery {
  status?: DeliveryStatus | undefined;
  webhookId?: string | undefined;
  /** The deliveries of one call's events. */
  callId?: string | undefined;
}

/**
 * The delivery queue. A claim is a lease: the row stays `pending` with `lease_until` set, so a
 * worker that dies mid-delivery loses nothing; the row becomes claimable again when it expires.
 */
export class DeliveriesRepo {
  constructor(private readonly db: Db) {}

  /**
   * Claims due deliveries: the first pending delivery of up to `limit` (call, target) chains, and
   * behind each up to `perChain - 1` more of the same chain that are due and free too, in order.
   * `FOR UPDATE SKIP LOCKED` on the chain heads lets several processes claim concurrently without
   * taking the same chain; a delivery waits while an earlier event of the same call is still
   * pending for the same target, so each receiver sees one call's events in order as long as the
   * claimer sends a chain's deliveries one after another.
   */
  async claim(
    owner: string,
    now: Date,
    leaseMs: number,
    limit: number,
    perChain = 1,
  ): Promise<ClaimedDelivery[]> {
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    // Due and not leased (or its lease ran out), for the rows of table alias `t`.
    const free = (t: string) => {
      const c = (col: string) => sql.raw(`${t}.${col}`);
      return sql`${c('next_attempt_at')} <= ${nowIso}::timestamptz
        and (${c('lease_until')} is null or ${c('lease_until')} <= ${nowIso}::timestamptz)`;
    };
    const claimed = await this.db.execute(sql`
      with heads as (
        select d.id, d.target_key, d.call_id, d.seq from ${deliveries} d
        where d.status = 'pending' and ${free('d')}
          and not exists (
            select 1 from ${deliveries} e
            where e.target_key = d.target_key and e.call_id = d.call_id
              and e.status = 'pending' and e.seq < d.seq)
          and (d.webhook_id is null or exists (
            select 1 from ${webhooks} w where w.id = d.webhook_id and w.enabled))
        order by d.seq
        limit ${limit}
        for update of d skip locked
      ),
      chain as (
        select f.id,
          bool_and(${free('f')}) over (partition by f.target_key, f.call_id order by f.seq) as ready,
          row_number() over (partition by f.target_key, f.call_id order by f.seq) as pos
        from ${deliveries} f join heads h on f.target_key = h.target_key and f.call_id = h.call_id
        where f.status = 'pending' and f.seq >= h.seq
      ),
      picked as (select id from chain where ready and pos <= ${perChain})
      update ${deliveries} set lease_until = ${until}::timestamptz, lease_owner = ${owner},
        attempts = ${deliveries}.attempts + 1, updated_at = ${nowIso}::timestamptz
      -- An array of ids: the primary key finds them, whatever the planner guesses about the CTE.
      where ${deliveries}.id = any(array(select id from picked))
        -- Rechecked on the row's latest version if another claimer changed it meanwhile.
        and ${deliveries}.status = 'pending' and ${free(getTableName(deliveries))}
      returning ${deliveries}.id, ${deliveries}.event_id, ${deliveries}.seq, ${deliveries}.type,
        ${deliveries}.workspace_id, ${deliveries}.call_id, ${deliveries}.target,
        ${deliveries}.target_key, ${deliveries}.format, ${deliveries}.attempts,
        ${deliveries}.retry_from, ${deliveries}.webhook_id,
        (select o.payload from ${outbox} o where o.id = ${deliveries}.event_id) as payload,
        (select o.created_at from ${outbox} o where o.id = ${deliveries}.event_id) as event_created_at,
        coalesce((select w.url from ${webhooks} w where w.id = ${deliveries}.webhook_id),
          ${deliveries}.url) as url,
        (select w.secret_credential_id from ${webhooks} w where w.id = ${deliveries}.webhook_id)
          as secret_credential_id`);
    return rowsOf<ClaimedRow>(claimed)
      .map(
        (r): ClaimedDelivery => ({
          id: r.id,
          eventId: r.event_id,
          seq: Number(r.seq),
          type: r.type,
          workspaceId: r.workspace_id,
          callId: r.call_id,
          target: r.target,
          targetKey: r.target_key,
          format: r.format,
          attempts: Number(r.attempts),
          retryFrom: new Date(r.retry_from),
          payload: r.payload,
          eventCreatedAt: new Date(r.event_created_at),
          url: r.url,
          webhookId: r.webhook_id,
          secretCredentialId: r.secret_credential_id,
        }),
      )
      .sort((a, b) => a.seq - b.seq);
  }

  /** Records several successful attempts in one statement. */
  async deliveredMany(results: { id: string; status: number | null }[], now: Date): Promise<void> {
    if (results.length === 0) return;
    const iso = now.toISOString();
    await this.db.execute(sql`
      update ${deliveries} d set status = 'delivered', delivered_at = ${iso}::timestamptz,
        lease_until = null, lease_owner = null, last_status = v.status, last_error = null,
        updated_at = ${iso}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(results)}::jsonb) as v(id uuid, status int)
      where d.id = v.id and d.status = 'pending'`);
  }

  /**
   * Hands back claimed deliveries that were not attempted (an earlier one of their chain failed):
   * free at once, and the claim's attempt is not counted.
   */
  async release(ids: string[], owner: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(deliveries)
      .set({ leaseUntil: null, leaseOwner: null, attempts: sql`greatest(${deliveries.attempts} - 1, 0)` })
      .where(
        and(inArray(deliveries.id, ids), eq(deliveries.status, 'pending'), eq(deliveries.leaseOwner, owner)),
      );
  }

  /**
   * Records a failed attempt: retried at `nextAt`, or dead-lettered when `nextAt` is null. Only the
   * lease holder may do this, so a worker whose lease expired cannot undo a newer claim.
   */
  async failed(
    id: string,
    owner: string,
    now: Date,
    result: { status: number | null; error: string; nextAt: Date | null },
  ): Promise<void> {
    await this.db
      .update(deliveries)
      .set({
        status: result.nextAt ? 'pending' : 'dead',
        nextAttemptAt: result.nextAt ?? now,
        leaseUntil: null,
        leaseOwner: null,
        lastStatus: result.status,
        lastError: result.error,
        updatedAt: now,
      })
      .where(and(eq(deliveries.id, id), eq(deliveries.status, 'pending'), eq(deliveries.leaseOwner, owner)));
  }

  async list(workspaceId: string, q: DeliveryFilters) {
    const k = keyset(deliveries.createdAt, deliveries.id, q);
    const rows = await this.db
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.workspaceId, workspaceId),
          q.status ? eq(deliveries.status, q.status) : undefined,
          q.webhookId ? eq(deliveries.webhookId, q.webhookId) : undefined,
          q.callId ? eq(deliveries.callId, q.callId) : undefined,
          k.where,
        ),
      )
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async get(workspaceId: string, id: string): Promise<DeliveryRow> {
    const [row] = await this.db
      .select()
      .from(deliveries)
      .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.id, id)));
    if (!row) throw notFound('delivery', id);
    return row;
  }

  /** Puts dead deliveries back in the queue with a fresh retry window. Returns how many. */
  async replay(workspaceId: string, where: { id?: string; webhookId?: string }, now: Date): Promise<number> {
    const rows = await this.db
      .update(deliveries)
      .set({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: now,
        retryFrom: now,
        leaseUntil: null,
        leaseOwner: null,
        updatedAt: now,
      })
      .where(
        and(
          eq(deliveries.workspaceId, workspaceId),
          eq(deliveries.status, 'dead'),
          where.id ? eq(deliveries.id, where.id) : undefined,
          where.webhookId ? eq(deliveries.webhookId, where.webhookId) : undefined,
        ),
      )
      .returning({ id: deliveries.id });
    if (rows.length > 0) await this.db.execute(sql`select pg_notify('switchboard_outbox', '')`);
    return rows.length;
  }

  /** Deliveries waiting and given up, for the metrics gauge (delivered rows are never counted). */
  async backlog(): Promise<{ pending: number; dead: number }> {
    const rows = await this.db
      .select({ status: deliveries.status, n: sql<number>`count(*)::int` })
      .from(deliveries)
      .where(inArray(deliveries.status, ['pending', 'dead']))
      .groupBy(deliveries.status);
    const out = { pending: 0, dead: 0 };
    for (const r of rows) if (r.status !== 'delivered') out[r.status] = Number(r.n);
    return out;
  }

  /** Counts per status, for tests. */
  async counts(): Promise<Record<DeliveryStatus, number>> {
    const rows = await this.db
      .select({ status: deliveries.status, n: sql<number>`count(*)::int` })
      .from(deliveries)
      .groupBy(deliveries.status);
    const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}

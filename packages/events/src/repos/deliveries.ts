import { notFound } from '@switchboard/core';
import { type Db, keyset, type PageQuery, toPage } from '@switchboard/store';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
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

export interface DeliveryFilters extends PageQuery {
  status?: DeliveryStatus | undefined;
  webhookId?: string | undefined;
}

/**
 * The delivery queue. A claim is a lease: the row stays `pending` with `lease_until` set, so a
 * worker that dies mid-delivery loses nothing; the row becomes claimable again when it expires.
 */
export class DeliveriesRepo {
  constructor(private readonly db: Db) {}

  /**
   * Claims up to `limit` due deliveries. `FOR UPDATE SKIP LOCKED` lets several processes claim
   * concurrently without taking the same row; a delivery waits while an earlier event of the same
   * call is still pending for the same target, so each receiver sees one call's events in order.
   */
  async claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    const claimed = await this.db.execute(sql`
      with due as (
        select d.id from ${deliveries} d
        where d.status = 'pending'
          and d.next_attempt_at <= ${nowIso}::timestamptz
          and (d.lease_until is null or d.lease_until <= ${nowIso}::timestamptz)
          and not exists (
            select 1 from ${deliveries} e
            where e.target_key = d.target_key and e.call_id = d.call_id
              and e.status = 'pending' and e.seq < d.seq)
          and (d.webhook_id is null or exists (
            select 1 from ${webhooks} w where w.id = d.webhook_id and w.enabled))
        order by d.seq
        limit ${limit}
        for update of d skip locked
      )
      update ${deliveries} set lease_until = ${until}::timestamptz, lease_owner = ${owner},
        attempts = ${deliveries}.attempts + 1, updated_at = ${nowIso}::timestamptz
      from due where ${deliveries}.id = due.id
      returning ${deliveries}.id`);
    const ids = rowsOf<{ id: string }>(claimed).map((r) => r.id);
    if (ids.length === 0) return [];
    const rows = await this.db
      .select({
        id: deliveries.id,
        eventId: deliveries.eventId,
        seq: deliveries.seq,
        type: deliveries.type,
        workspaceId: deliveries.workspaceId,
        callId: deliveries.callId,
        target: deliveries.target,
        format: deliveries.format,
        attempts: deliveries.attempts,
        retryFrom: deliveries.retryFrom,
        payload: outbox.payload,
        eventCreatedAt: outbox.createdAt,
        agentUrl: deliveries.url,
        webhookUrl: webhooks.url,
        webhookId: deliveries.webhookId,
        secretCredentialId: webhooks.secretCredentialId,
      })
      .from(deliveries)
      .innerJoin(outbox, eq(outbox.id, deliveries.eventId))
      .leftJoin(webhooks, eq(webhooks.id, deliveries.webhookId))
      .where(inArray(deliveries.id, ids))
      .orderBy(asc(deliveries.seq));
    return rows.map(({ agentUrl, webhookUrl, ...r }) => ({ ...r, url: webhookUrl ?? agentUrl }));
  }

  async delivered(id: string, now: Date, status: number | null): Promise<void> {
    await this.db
      .update(deliveries)
      .set({
        status: 'delivered',
        deliveredAt: now,
        leaseUntil: null,
        leaseOwner: null,
        lastStatus: status,
        lastError: null,
        updatedAt: now,
      })
      .where(and(eq(deliveries.id, id), eq(deliveries.status, 'pending')));
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

  /** Counts per status, for metrics and tests. */
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

import { AppError, notFound } from '@switchboard/core';
import { type Db, keyset, type PageQuery, schema, toPage, withDbErrors } from '@switchboard/store';
import { and, desc, eq, gte, ne, sql } from 'drizzle-orm';
import type { CallingWindow, Campaign, CampaignStatus, CircuitBreaker, RetryPolicy } from '../model.js';
import { cancelQueuedCalls } from './calls.js';
import { contactProgress } from './contacts.js';
import type { Tx } from './slots.js';

const { campaigns, campaignContacts, calls } = schema;

export interface CampaignCreate {
  agentId: string;
  name: string;
  callerId: string;
  maxConcurrency: number;
  callingWindow: CallingWindow | null;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
}

export class CampaignsRepo {
  constructor(private readonly db: Db) {}

  async create(workspaceId: string, input: CampaignCreate): Promise<Campaign> {
    return withDbErrors(() => insertCampaign(this.db, workspaceId, input));
  }

  async get(workspaceId: string, id: string): Promise<Campaign> {
    const [row] = await this.db
      .select()
      .from(campaigns)
      .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.id, id)));
    if (!row) throw notFound('campaign', id);
    return row;
  }

  async list(workspaceId: string, q: PageQuery & { status?: CampaignStatus | undefined }) {
    const k = keyset(campaigns.createdAt, campaigns.id, q);
    const rows = await this.db
      .select()
      .from(campaigns)
      .where(
        and(
          eq(campaigns.workspaceId, workspaceId),
          q.status ? eq(campaigns.status, q.status) : undefined,
          k.where,
        ),
      )
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async update(
    workspaceId: string,
    id: string,
    patch: Partial<Pick<CampaignCreate, 'name' | 'maxConcurrency' | 'callingWindow' | 'retry' | 'breaker'>>,
  ): Promise<Campaign> {
    await this.get(workspaceId, id);
    return withDbErrors(async () => {
      const [row] = await this.db
        .update(campaigns)
        .set({ ...patch, updatedAt: new Date() })
        .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.id, id)))
        .returning();
      return row!;
    });
  }

  /**
   * Pauses: calls not yet dialled are withdrawn (their contacts go back to pending without using
   * an attempt); calls in progress finish.
   */
  async pause(workspaceId: string, id: string, reason: string, now: Date): Promise<Campaign> {
    return this.db.transaction(async (tx) => {
      const c = await lockCampaign(tx, workspaceId, id);
      if (c.status === 'cancelled' || c.status === 'completed') {
        throw new AppError('conflict', `campaign is ${c.status}`);
      }
      return pauseIn(tx, c.id, reason, now);
    });
  }

  /**
   * Resumes a paused campaign. A campaign marked completed while some of its contacts were still
   * to be called (possible before completion followed the contacts) is reopened too.
   */
  async resume(workspaceId: string, id: string, now: Date): Promise<Campaign> {
    return this.db.transaction(async (tx) => {
      const c = await lockCampaign(tx, workspaceId, id);
      const reopen = c.status === 'completed' && (await contactProgress(tx, id)).open > 0;
      if (c.status !== 'paused' && !reopen)
        throw new AppError('conflict', `only a paused campaign resumes; it is ${c.status}`);
      const [row] = await tx
        .update(campaigns)
        .set({ status: 'active', pausedReason: null, updatedAt: now })
        .where(eq(campaigns.id, id))
        .returning();
      return row!;
    });
  }

  /** Cancels: queued contacts and undialled calls stop; calls in progress finish. */
  async cancel(workspaceId: string, id: string, now: Date): Promise<Campaign> {
    return this.db.transaction(async (tx) => {
      const c = await lockCampaign(tx, workspaceId, id);
      if (c.status === 'cancelled') return c;
      const withdrawn = await cancelQueuedCalls(tx, { campaignId: id }, now, 'campaign cancelled');
      await tx
        .update(campaignContacts)
        .set({ status: 'cancelled', updatedAt: now })
        .where(
          and(
            eq(campaignContacts.campaignId, id),
            sql`(${campaignContacts.status} = 'pending' or ${campaignContacts.lastCallId} in (${idList(withdrawn)}))`,
          ),
        );
      const [row] = await tx
        .update(campaigns)
        .set({ status: 'cancelled', updatedAt: now })
        .where(eq(campaigns.id, id))
        .returning();
      return row!;
    });
  }

  /** Progress, derived from contact and call state every time. */
  async stats(workspaceId: string, id: string) {
    await this.get(workspaceId, id);
    const byStatus = await this.db
      .select({
        status: campaignContacts.status,
        outcome: campaignContacts.lastOutcome,
        n: sql<number>`count(*)::int`,
        attempts: sql<number>`coalesce(sum(${campaignContacts.attempts}), 0)::int`,
      })
      .from(campaignContacts)
      .where(eq(campaignContacts.campaignId, id))
      .groupBy(campaignContacts.status, campaignContacts.lastOutcome);
    const [live] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(calls)
      .where(and(eq(calls.campaignId, id), sql`${calls.status} in ('ringing','in-progress')`));
    const contacts = { total: 0, pending: 0, queued: 0, done: 0, cancelled: 0 };
    const outcomes: Record<string, number> = {};
    let attempts = 0;
    for (const r of byStatus) {
      contacts.total += r.n;
      contacts[r.status] += r.n;
      attempts += r.attempts;
      if (r.status === 'done' && r.outcome) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + r.n;
    }
    return { contacts, inProgress: live?.n ?? 0, attempts, outcomes };
  }
}

export async function insertCampaign(
  tx: Db | Tx,
  workspaceId: string,
  input: CampaignCreate,
): Promise<Campaign> {
  const [row] = await tx
    .insert(campaigns)
    .values({ workspaceId, ...input })
    .returning();
  return row!;
}

/**
 * Marks a completed campaign active again, inside the transaction that gave it contacts to call
 * (under its row lock, like the fill that completes it).
 */
export async function reopenCampaign(tx: Tx, c: Campaign, now: Date): Promise<Campaign> {
  if (c.status !== 'completed') return c;
  const [row] = await tx
    .update(campaigns)
    .set({ status: 'active', updatedAt: now })
    .where(eq(campaigns.id, c.id))
    .returning();
  return row!;
}

export async function lockCampaign(tx: Tx, workspaceId: string, id: string): Promise<Campaign> {
  const [row] = await tx
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.id, id)))
    .for('update');
  if (!row) throw notFound('campaign', id);
  return row;
}

export async function pauseIn(tx: Tx, id: string, reason: string, now: Date): Promise<Campaign> {
  const withdrawn = await cancelQueuedCalls(tx, { campaignId: id }, now, 'campaign paused');
  if (withdrawn.length > 0) {
    await tx
      .update(campaignContacts)
      .set({
        status: 'pending',
        attempts: sql`greatest(${campaignContacts.attempts} - 1, 0)`,
        updatedAt: now,
      })
      .where(
        and(
          eq(campaignContacts.campaignId, id),
          sql`${campaignContacts.lastCallId} in (${idList(withdrawn)})`,
        ),
      );
  }
  const [row] = await tx
    .update(campaigns)
    .set({ status: 'paused', pausedReason: reason, updatedAt: now })
    .where(eq(campaigns.id, id))
    .returning();
  return row!;
}

/** A SQL list of uuids; a never-matching one when empty (`in ()` is not valid SQL). */
function idList(rows: { id: string }[]) {
  const ids = rows.length > 0 ? rows.map((r) => r.id) : ['00000000-0000-0000-0000-000000000000'];
  return sql.join(
    ids.map((i) => sql`${i}::uuid`),
    sql`, `,
  );
}

/**
 * The outcomes of the campaign's most recent ended calls queued at or after `since`, withdrawn
 * ones left out.
 */
export async function recentOutcomes(tx: Tx, id: string, n: number, since: Date): Promise<string[]> {
  const rows = await tx
    .select({ outcome: calls.outcome })
    .from(calls)
    .where(
      and(
        eq(calls.campaignId, id),
        eq(calls.status, 'ended'),
        ne(calls.outcome, 'cancelled'),
        gte(calls.queuedAt, since),
      ),
    )
    .orderBy(desc(calls.endedAt))
    .limit(n);
  return rows.map((r) => r.outcome ?? '');
}

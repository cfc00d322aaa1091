import { type Db, keyset, type PageQuery, schema, toPage } from '@switchboard/store';
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { CampaignContact, ContactStatus } from '../model.js';
import type { Tx } from './slots.js';

const { campaignContacts } = schema;

export interface ContactInput {
  rowNumber: number;
  phone: string;
  variables: Record<string, string>;
  agentOverrides?: Record<string, unknown>;
}

/** Adds contacts; a row number already present is skipped, so re-sending a chunk adds nothing twice. */
export async function addContacts(
  db: Db | Tx,
  workspaceId: string,
  campaignId: string,
  rows: ContactInput[],
  now: Date,
): Promise<number> {
  let added = 0;
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const inserted = await db
      .insert(campaignContacts)
      .values(chunk.map((r) => ({ ...r, workspaceId, campaignId, nextAttemptAt: now, createdAt: now })))
      .onConflictDoNothing({ target: [campaignContacts.campaignId, campaignContacts.rowNumber] })
      .returning({ id: campaignContacts.id });
    added += inserted.length;
  }
  return added;
}

export async function listContacts(
  db: Db,
  workspaceId: string,
  campaignId: string,
  q: PageQuery & { status?: ContactStatus | undefined },
) {
  const k = keyset(campaignContacts.createdAt, campaignContacts.id, q);
  const rows = await db
    .select()
    .from(campaignContacts)
    .where(
      and(
        eq(campaignContacts.workspaceId, workspaceId),
        eq(campaignContacts.campaignId, campaignId),
        q.status ? eq(campaignContacts.status, q.status) : undefined,
        k.where,
      ),
    )
    .orderBy(...k.order)
    .limit(k.limit + 1);
  return toPage(rows, k.limit);
}

/** Contacts whose call exists and has not ended. */
export async function countQueued(tx: Tx, campaignId: string): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(campaignContacts)
    .where(and(eq(campaignContacts.campaignId, campaignId), eq(campaignContacts.status, 'queued')));
  return row?.n ?? 0;
}

/**
 * All of a campaign's contacts and those not final yet (pending or queued), in one statement so
 * both counts come from one snapshot.
 */
export async function contactProgress(
  tx: Db | Tx,
  campaignId: string,
): Promise<{ total: number; open: number }> {
  const [row] = await tx
    .select({
      total: sql<number>`count(*)::int`,
      open: sql<number>`(count(*) filter (where ${campaignContacts.status} in ('pending', 'queued')))::int`,
    })
    .from(campaignContacts)
    .where(eq(campaignContacts.campaignId, campaignId));
  return { total: row?.total ?? 0, open: row?.open ?? 0 };
}

/** A campaign is complete when it has contacts and every one of them is final (done or cancelled). */
export const isComplete = (p: { total: number; open: number }) => p.total > 0 && p.open === 0;

/** Due contacts, locked; another process filling the same campaign skips them. */
export async function takeDue(
  tx: Tx,
  campaignId: string,
  now: Date,
  limit: number,
): Promise<CampaignContact[]> {
  return tx
    .select()
    .from(campaignContacts)
    .where(
      and(
        eq(campaignContacts.campaignId, campaignId),
        eq(campaignContacts.status, 'pending'),
        lte(campaignContacts.nextAttemptAt, now),
      ),
    )
    .orderBy(asc(campaignContacts.nextAttemptAt), asc(campaignContacts.rowNumber))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** Links due contacts to their new calls and counts the attempt, in one statement. */
export async function markContactsQueued(
  tx: Tx,
  links: { id: string; callId: string }[],
  now: Date,
): Promise<void> {
  if (links.length === 0) return;
  await tx
    .update(campaignContacts)
    .set({
      status: 'queued',
      lastCallId: sql`case ${campaignContacts.id} ${sql.join(
        links.map((l) => sql`when ${l.id}::uuid then ${l.callId}::uuid`),
        sql` `,
      )} end`,
      attempts: sql`${campaignContacts.attempts} + 1`,
      updatedAt: now,
    })
    .where(
      inArray(
        campaignContacts.id,
        links.map((l) => l.id),
      ),
    );
}

export async function contactForCall(tx: Tx, callId: string): Promise<CampaignContact | undefined> {
  const [row] = await tx
    .select()
    .from(campaignContacts)
    .where(eq(campaignContacts.lastCallId, callId))
    .for('update');
  return row;
}

export async function setContact(
  tx: Tx,
  id: string,
  fields: { status: ContactStatus; lastOutcome?: string; nextAttemptAt?: Date; attempts?: number },
  now: Date,
): Promise<void> {
  await tx
    .update(campaignContacts)
    .set({ ...fields, updatedAt: now })
    .where(eq(campaignContacts.id, id));
}

import type { CallOutcome, EndedReason } from '@switchboard/core';
import { type Call, type Db, schema } from '@switchboard/store';
import { and, asc, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import type { Tx } from './slots.js';

const { calls, dialerLeases } = schema;

export interface QueuedCallInput {
  /** Chosen by the caller when it must link the row before the insert returns. */
  id?: string;
  workspaceId: string;
  agentId: string;
  to: string;
  from: string;
  connector: string;
  variables: Record<string, string>;
  customCallId?: string | null | undefined;
  campaignId?: string | null | undefined;
  agentOverrides?: Record<string, unknown> | undefined;
  /** The agent document with `agentOverrides` merged in, kept on the row to show later. */
  agentConfig?: object | undefined;
  queuedAt: Date;
}

const step = (status: string, at: Date) =>
  sql`${calls.statusProgression} || ${JSON.stringify([{ status, at: at.toISOString() }])}::jsonb`;

/**
 * Inserts queued outbound calls. With a `customCallId` already used in the workspace nothing is
 * inserted (the unique index decides, also between concurrent requests) and the existing row is
 * returned with `created: false`, so the caller sends no second job.
 */
export async function insertQueuedCalls(
  tx: Tx,
  inputs: QueuedCallInput[],
): Promise<{ call: Call; created: boolean }[]> {
  if (inputs.length === 0) return [];
  const rows = inputs.map((i) => ({
    ...(i.id ? { id: i.id } : {}),
    workspaceId: i.workspaceId,
    agentId: i.agentId,
    direction: 'outbound' as const,
    connector: i.connector,
    fromNumber: i.from,
    toNumber: i.to,
    status: 'queued',
    statusProgression: [{ status: 'queued', at: i.queuedAt.toISOString() }],
    variables: i.variables,
    customCallId: i.customCallId ?? null,
    campaignId: i.campaignId ?? null,
    agentOverrides: i.agentOverrides ?? null,
    agentConfig: (i.agentConfig as Record<string, unknown> | undefined) ?? null,
    queuedAt: i.queuedAt,
  }));
  const inserted = await tx
    .insert(calls)
    .values(rows)
    .onConflictDoNothing({ target: [calls.workspaceId, calls.customCallId] })
    .returning();
  if (inserted.length === inputs.length) return inserted.map((call) => ({ call, created: true }));
  // Only calls with a custom id can conflict; look the others up by it.
  const out: { call: Call; created: boolean }[] = inserted.map((call) => ({ call, created: true }));
  const got = new Set(inserted.map((c) => c.customCallId));
  for (const i of inputs) {
    if (!i.customCallId || got.has(i.customCallId)) continue;
    const [existing] = await tx
      .select()
      .from(calls)
      .where(and(eq(calls.workspaceId, i.workspaceId), eq(calls.customCallId, i.customCallId)));
    if (existing) out.push({ call: existing, created: false });
  }
  return out;
}

export type LockedCall = Pick<Call, 'id' | 'status' | 'workspaceId' | 'campaignId'>;

/** Locks the call rows for the rest of the transaction, in id order (two lockers never cross). */
export async function lockCalls(tx: Tx, ids: string[]): Promise<LockedCall[]> {
  if (ids.length === 0) return [];
  return tx
    .select({
      id: calls.id,
      status: calls.status,
      workspaceId: calls.workspaceId,
      campaignId: calls.campaignId,
    })
    .from(calls)
    .where(inArray(calls.id, ids))
    .orderBy(asc(calls.id))
    .for('update');
}

/**
 * Moves claimed calls to `ringing`, each on its caller ID, in one statement. The `ringing` step of
 * the status progression is written later, by `markPlacing`, when the call goes to the carrier.
 */
export async function markDialing(
  tx: Tx,
  dialing: { callId: string; from: string; connector: string }[],
  at: Date,
): Promise<Call[]> {
  if (dialing.length === 0) return [];
  const pick = (f: (d: (typeof dialing)[number]) => string) =>
    sql`case ${calls.id} ${sql.join(
      dialing.map((d) => sql`when ${d.callId}::uuid then ${f(d)}`),
      sql` `,
    )} end`;
  return tx
    .update(calls)
    .set({
      status: 'ringing',
      fromNumber: pick((d) => d.from),
      connector: pick((d) => d.connector),
      updatedAt: at,
    })
    .where(
      inArray(
        calls.id,
        dialing.map((d) => d.callId),
      ),
    )
    .returning();
}

/** SQL: the call's latest status step is `queued`, i.e. it was claimed but never handed over. */
export const notPlaced = sql`(${calls.statusProgression} -> -1 ->> 'status') = 'queued'`;

/**
 * Records, before a claimed call is handed to the carrier, that it is: the `ringing` step of its
 * status progression. A call whose worker died without it never reached the carrier and is put
 * back in the queue; one with it may have, and is never dialled again.
 */
export async function markPlacing(
  tx: Tx | Db,
  callIds: string[],
  holder: string,
  at: Date,
): Promise<Set<string>> {
  if (callIds.length === 0) return new Set();
  // Only calls still claimed under this holder's lease: one swept meanwhile is no longer ours.
  const rows = await tx
    .update(calls)
    .set({ statusProgression: step('ringing', at), updatedAt: at })
    .where(
      and(
        inArray(calls.id, callIds),
        eq(calls.status, 'ringing'),
        notPlaced,
        sql`exists (select 1 from ${dialerLeases} where ${dialerLeases.callId} = ${calls.id} and ${dialerLeases.holder} = ${holder})`,
      ),
    )
    .returning({ id: calls.id });
  return new Set(rows.map((r) => r.id));
}

/** Puts claimed calls that never reached the carrier back to `queued`; returns the rows it moved. */
export async function requeueCalls(tx: Tx, callIds: string[], at: Date): Promise<Call[]> {
  if (callIds.length === 0) return [];
  return tx
    .update(calls)
    .set({ status: 'queued', statusProgression: step('queued', at), updatedAt: at })
    .where(and(inArray(calls.id, callIds), eq(calls.status, 'ringing'), notPlaced))
    .returning();
}

export interface CallEnd {
  outcome: CallOutcome;
  endedReason: EndedReason;
  answered?: boolean;
  error?: string | undefined;
}

/**
 * Records the end of a call unless it already ended (the call session may have written it first).
 * Returns the ended row either way.
 */
export async function endCall(tx: Tx, id: string, end: CallEnd, at: Date): Promise<Call | undefined> {
  const [row] = await tx
    .update(calls)
    .set({
      status: 'ended',
      outcome: end.outcome,
      endedReason: end.endedReason,
      endedAt: at,
      error: end.error ?? null,
      statusProgression: step('ended', at),
      updatedAt: at,
    })
    .where(and(eq(calls.id, id), ne(calls.status, 'ended')))
    .returning();
  if (row) return row;
  const [existing] = await tx.select().from(calls).where(eq(calls.id, id));
  return existing;
}

/**
 * Records the ends of several calls in one statement, leaving calls that already ended alone.
 * Returns the rows it ended; the others are left for the caller to read.
 */
export async function endCalls(tx: Tx, ends: { callId: string; end: CallEnd; at: Date }[]): Promise<Call[]> {
  if (ends.length === 0) return [];
  const pick = (f: (e: (typeof ends)[number]) => SQL) =>
    sql`case ${calls.id} ${sql.join(
      ends.map((e) => sql`when ${e.callId}::uuid then ${f(e)}`),
      sql` `,
    )} end`;
  return tx
    .update(calls)
    .set({
      status: 'ended',
      outcome: pick((e) => sql`${e.end.outcome}`),
      endedReason: pick((e) => sql`${e.end.endedReason}`),
      endedAt: pick((e) => sql`${e.at.toISOString()}::timestamptz`),
      error: pick((e) => sql`${e.end.error ?? null}::text`),
      statusProgression: pick((e) => step('ended', e.at)),
      updatedAt: pick((e) => sql`${e.at.toISOString()}::timestamptz`),
    })
    .where(
      and(
        inArray(
          calls.id,
          ends.map((e) => e.callId),
        ),
        ne(calls.status, 'ended'),
      ),
    )
    .returning();
}

export async function getCalls(tx: Tx, ids: string[]): Promise<Call[]> {
  if (ids.length === 0) return [];
  return tx.select().from(calls).where(inArray(calls.id, ids));
}

/** Cancels calls that have not been dialled yet; returns the ones it cancelled. */
export async function cancelQueuedCalls(
  tx: Tx,
  where: { id?: string; campaignId?: string },
  at: Date,
  error: string,
): Promise<Call[]> {
  return tx
    .update(calls)
    .set({
      status: 'ended',
      outcome: 'cancelled',
      endedReason: 'cancelled',
      endedAt: at,
      error,
      statusProgression: step('ended', at),
      updatedAt: at,
    })
    .where(
      and(
        eq(calls.status, 'queued'),
        where.id ? eq(calls.id, where.id) : undefined,
        where.campaignId ? eq(calls.campaignId, where.campaignId) : undefined,
      ),
    )
    .returning();
}

export async function getCall(db: Db, id: string): Promise<Call | undefined> {
  const [row] = await db.select().from(calls).where(eq(calls.id, id));
  return row;
}

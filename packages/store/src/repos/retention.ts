import { conflict, notFound } from '@switchboard/core';
import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import {
  callAnalyses,
  callEvents,
  calls,
  deliveries,
  outbox,
  turnLatencies,
  workspaceRetention,
} from '../schema.js';
import type { Call } from './calls.js';

export const RETENTION_KINDS = ['recordings', 'transcripts', 'events'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** Days each kind of call data is kept; null = forever. */
export type RetentionSettings = Record<`${RetentionKind}Days`, number | null>;

/** Calls whose data of each kind was (or, in a dry run, would be) deleted. */
export type RetentionCounts = Record<RetentionKind, number>;

export interface RetentionSweep extends RetentionCounts {
  dryRun: boolean;
  /** False when another process was running the sweep at that moment: nothing was done here. */
  ran: boolean;
  /** Recording files no row points at any more; the caller deletes them (none in a dry run). */
  files: string[];
}

/** Any 64-bit constant: the advisory lock that lets one process sweep at a time. */
export const RETENTION_SWEEP_LOCK = 0x5b_7e_7e_a1;

const rowsOf = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/** Per-workspace retention settings, the sweep that applies them, and erasing one call's data. */
export class RetentionRepo {
  constructor(private readonly db: Db) {}

  async get(workspaceId: string): Promise<RetentionSettings & { updatedAt: Date | null }> {
    const [row] = await this.db
      .select()
      .from(workspaceRetention)
      .where(eq(workspaceRetention.workspaceId, workspaceId));
    return {
      recordingsDays: row?.recordingsDays ?? null,
      transcriptsDays: row?.transcriptsDays ?? null,
      eventsDays: row?.eventsDays ?? null,
      updatedAt: row?.updatedAt ?? null,
    };
  }

  /** Changes the given fields only; the others keep their value. */
  async set(
    workspaceId: string,
    patch: Partial<RetentionSettings>,
  ): Promise<RetentionSettings & { updatedAt: Date | null }> {
    const now = new Date();
    await this.db
      .insert(workspaceRetention)
      .values({ workspaceId, ...patch, updatedAt: now })
      .onConflictDoUpdate({ target: workspaceRetention.workspaceId, set: { ...patch, updatedAt: now } });
    return this.get(workspaceId);
  }

  /**
   * Deletes the call data older than each workspace's settings (calls ended more than N days
   * before `now`), or only counts it when `dryRun`. One process at a time: a concurrent sweep
   * returns `ran: false` at once instead of doing the same work twice.
   */
  async sweep(opts: { now: Date; dryRun: boolean; workspaceId?: string }): Promise<RetentionSweep> {
    return this.db.transaction(async (tx) => {
      const [lock] = rowsOf<{ got: boolean }>(
        await tx.execute(sql`select pg_try_advisory_xact_lock(${RETENTION_SWEEP_LOCK}) as got`),
      );
      const empty = { recordings: 0, transcripts: 0, events: 0, files: [] };
      if (!lock?.got) return { ...empty, dryRun: opts.dryRun, ran: false };
      const older = (column: SQL) => sql`
        c.status = 'ended' and ${column} is not null
        and coalesce(c.ended_at, c.created_at) < ${opts.now.toISOString()}::timestamptz - ${column} * interval '1 day'
        ${opts.workspaceId ? sql`and c.workspace_id = ${opts.workspaceId}` : sql``}`;
      const due = async (column: SQL, has: SQL) =>
        rowsOf<{ id: string; recording_path: string | null }>(
          await tx.execute(sql`
            select c.id, c.recording_path from ${calls} c
            join ${workspaceRetention} r on r.workspace_id = c.workspace_id
            where ${older(column)} and ${has}`),
        );
      const recordings = await due(sql`r.recordings_days`, sql`c.recording_path is not null`);
      const transcripts = await due(
        sql`r.transcripts_days`,
        sql`(exists (select 1 from ${callEvents} e where e.call_id = c.id
               and (e.type like 'transcript.%' or (e.data -> 'transcript') is not null))
             or exists (select 1 from ${outbox} o where o.call_id = c.id and (o.payload -> 'transcript') is not null))`,
      );
      const events = await due(
        sql`r.events_days`,
        sql`(exists (select 1 from ${callEvents} e where e.call_id = c.id)
             or exists (select 1 from ${turnLatencies} l where l.call_id = c.id))`,
      );
      const counts = {
        recordings: recordings.length,
        transcripts: transcripts.length,
        events: events.length,
      };
      if (opts.dryRun) return { ...counts, files: [], dryRun: true, ran: true };

      const ids = (rows: { id: string }[]) => rows.map((r) => r.id);
      if (recordings.length > 0) {
        await tx
          .update(calls)
          .set({ recordingPath: null, updatedAt: new Date() })
          .where(inArray(calls.id, ids(recordings)));
      }
      for (const chunk of chunks(ids(transcripts))) {
        const list = sql.join(
          chunk.map((id) => sql`${id}::uuid`),
          sql`, `,
        );
        await tx.execute(
          sql`delete from ${callEvents} where call_id in (${list}) and type like 'transcript.%'`,
        );
        await tx.execute(
          sql`update ${callEvents} set data = data - 'transcript' where call_id in (${list}) and (data -> 'transcript') is not null`,
        );
        await tx.execute(
          sql`update ${outbox} set payload = payload - 'transcript' where call_id in (${list}) and (payload -> 'transcript') is not null`,
        );
      }
      for (const chunk of chunks(ids(events))) {
        await tx.delete(callEvents).where(inArray(callEvents.callId, chunk));
        await tx.delete(turnLatencies).where(inArray(turnLatencies.callId, chunk));
        // Events still being delivered stay until their deliveries finish or give up.
        await tx
          .delete(outbox)
          .where(
            and(
              inArray(outbox.callId, chunk),
              sql`not exists (select 1 from ${deliveries} d where d.event_id = ${outbox.id} and d.status = 'pending')`,
            ),
          );
      }
      const files = recordings.map((r) => r.recording_path).filter((p): p is string => !!p);
      return { ...counts, files, dryRun: false, ran: true };
    });
  }

  /**
   * Erases one ended call's data — transcript, events, latencies, analysis, outbox rows and the
   * link to its recording — and keeps the row as a tombstone: ids, status and times only. A call
   * not ended yet is a conflict. Returns the tombstone and the recording file to delete.
   */
  async erase(workspaceId: string, callId: string): Promise<{ call: Call; recordingPath: string | null }> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(calls)
        .where(and(eq(calls.workspaceId, workspaceId), eq(calls.id, callId)))
        .for('update');
      if (!row) throw notFound('call', callId);
      if (row.status !== 'ended') {
        throw conflict(`call ${callId} is ${row.status}: only an ended call can be erased`, [
          { path: 'id', message: `the call is ${row.status}; end it first` },
        ]);
      }
      await tx.delete(callEvents).where(eq(callEvents.callId, callId));
      await tx.delete(turnLatencies).where(eq(turnLatencies.callId, callId));
      await tx.delete(callAnalyses).where(eq(callAnalyses.callId, callId));
      await tx.delete(outbox).where(eq(outbox.callId, callId));
      const now = new Date();
      const [call] = await tx
        .update(calls)
        .set({
          fromNumber: '',
          toNumber: '',
          variables: {},
          providersUsed: {},
          agentOverrides: null,
          agentConfig: null,
          recordingPath: null,
          error: null,
          erasedAt: row.erasedAt ?? now,
          updatedAt: now,
        })
        .where(eq(calls.id, callId))
        .returning();
      return { call: call!, recordingPath: row.recordingPath };
    });
  }
}

function* chunks<T>(items: T[], size = 500): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

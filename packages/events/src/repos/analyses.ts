import type { CallAnalysis, TranscriptEntry } from '@switchboard/core';
import type { Db } from '@switchboard/store';
import { and, asc, eq, sql } from 'drizzle-orm';
import { agentVersions, type CallAnalysisRow, callAnalyses, callEvents, calls } from '../tables.js';
import { rowsOf } from '../util.js';

/** NOTIFY channel that wakes analysis workers after a call that wants analysis ends. */
export const ANALYSIS_CHANNEL = 'switchboard_analysis';

/** A claimed analysis with what the analyst needs. */
export interface ClaimedAnalysis {
  callId: string;
  workspaceId: string;
  attempts: number;
  agentId: string | null;
  agentVersion: number | null;
  /** The agent version's stored document (validated by the worker). */
  config: Record<string, unknown> | null;
  variables: Record<string, string>;
}

/**
 * The post-call analysis queue. Like deliveries, a claim is a lease: the row stays `pending` with
 * `lease_until` set, and a worker that dies mid-analysis frees it when the lease runs out.
 */
export class AnalysesRepo {
  constructor(private readonly db: Db) {}

  /**
   * Queues analysis of an ended call when its agent version asks for it. Build the repo on the
   * transaction that records call.ended, so both commit together. True when queued.
   */
  async enqueueIfWanted(
    call: { callId: string; workspaceId: string; agentId: string | null; agentVersion: number | null },
    now: Date,
  ): Promise<boolean> {
    if (!call.agentId || call.agentVersion === null) return false;
    const at = now.toISOString();
    const r = await this.db.execute(sql`
      insert into ${callAnalyses} (call_id, workspace_id, status, next_attempt_at, created_at, updated_at)
      select ${call.callId}::uuid, ${call.workspaceId}::uuid, 'pending', ${at}::timestamptz,
             ${at}::timestamptz, ${at}::timestamptz
      from ${agentVersions} v
      where v.agent_id = ${call.agentId} and v.version = ${call.agentVersion}
        and (coalesce((v.config #>> '{analysis,summary}')::boolean, false)
             or jsonb_array_length(coalesce(v.config #> '{analysis,fields}', '[]'::jsonb)) > 0)
      on conflict (call_id) do nothing
      returning call_id`);
    if (rowsOf(r).length === 0) return false;
    await this.db.execute(sql`select pg_notify(${ANALYSIS_CHANNEL}, '')`);
    return true;
  }

  /** Queues (again) an ended call's analysis, e.g. after the agent's analysis fields changed. */
  async request(workspaceId: string, callId: string, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into ${callAnalyses} (call_id, workspace_id, status, next_attempt_at, created_at, updated_at)
        values (${callId}::uuid, ${workspaceId}::uuid, 'pending', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz)
        on conflict (call_id) do update set status = 'pending', attempts = 0, next_attempt_at = excluded.next_attempt_at,
          lease_until = null, lease_owner = null, last_error = null, updated_at = excluded.updated_at`);
      await tx.execute(sql`select pg_notify(${ANALYSIS_CHANNEL}, '')`);
    });
  }

  /** Analyses waiting to run, for the metrics gauge. */
  async pendingCount(): Promise<number> {
    const r = await this.db.execute(
      sql`select count(*)::int as n from ${callAnalyses} where status = 'pending'`,
    );
    return Number(rowsOf<{ n: number }>(r)[0]?.n ?? 0);
  }

  /** A call's analysis, or undefined when none was queued. */
  async get(workspaceId: string, callId: string): Promise<CallAnalysisRow | undefined> {
    const [row] = await this.db
      .select()
      .from(callAnalyses)
      .where(and(eq(callAnalyses.workspaceId, workspaceId), eq(callAnalyses.callId, callId)));
    return row;
  }

  /** Claims up to `limit` due analyses for `leaseMs`; concurrent claimers never take the same one. */
  async claim(owner: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedAnalysis[]> {
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + leaseMs).toISOString();
    const r = await this.db.execute(sql`
      with due as (
        select a.call_id from ${callAnalyses} a
        where a.status = 'pending' and a.next_attempt_at <= ${nowIso}::timestamptz
          and (a.lease_until is null or a.lease_until <= ${nowIso}::timestamptz)
        order by a.next_attempt_at
        limit ${limit}
        for update skip locked
      ),
      claimed as (
        update ${callAnalyses} a
        set lease_until = ${until}::timestamptz, lease_owner = ${owner}, attempts = a.attempts + 1,
            updated_at = ${nowIso}::timestamptz
        from due where a.call_id = due.call_id
        returning a.call_id, a.workspace_id, a.attempts
      )
      select claimed.*, c.agent_id, c.agent_version, c.variables, v.config
      from claimed
      join ${calls} c on c.id = claimed.call_id
      left join ${agentVersions} v on v.agent_id = c.agent_id and v.version = c.agent_version`);
    return rowsOf<{
      call_id: string;
      workspace_id: string;
      attempts: number | string;
      agent_id: string | null;
      agent_version: number | string | null;
      variables: Record<string, string> | null;
      config: Record<string, unknown> | null;
    }>(r).map((row) => ({
      callId: row.call_id,
      workspaceId: row.workspace_id,
      attempts: Number(row.attempts),
      agentId: row.agent_id,
      agentVersion: row.agent_version === null ? null : Number(row.agent_version),
      config: row.config,
      variables: row.variables ?? {},
    }));
  }

  /** The call's final transcript, in order. */
  async transcript(callId: string): Promise<TranscriptEntry[]> {
    const rows = await this.db
      .select({ data: callEvents.data })
      .from(callEvents)
      .where(and(eq(callEvents.callId, callId), eq(callEvents.type, 'transcript.final')))
      .orderBy(asc(callEvents.seq));
    return rows.map((r) => r.data as unknown as TranscriptEntry);
  }

  /**
   * Records the outcome while this worker still holds the lease; false when it does not (the
   * lease ran out and another worker took the row), in which case nothing is written.
   */
  async finish(
    tx: Db,
    callId: string,
    owner: string,
    now: Date,
    result: CallAnalysis,
    status: 'done' | 'failed',
  ): Promise<boolean> {
    const rows = await tx
      .update(callAnalyses)
      .set({
        status,
        summary: result.summary ?? null,
        fields: result.fields,
        provider: result.provider ?? null,
        lastError: result.error ?? null,
        leaseUntil: null,
        leaseOwner: null,
        completedAt: now,
        updatedAt: now,
      })
      .where(and(eq(callAnalyses.callId, callId), eq(callAnalyses.leaseOwner, owner)))
      .returning({ callId: callAnalyses.callId });
    return rows.length > 0;
  }

  /** Hands a failed attempt back for another try at `nextAt`. */
  async retry(callId: string, owner: string, now: Date, error: string, nextAt: Date): Promise<void> {
    await this.db
      .update(callAnalyses)
      .set({ lastError: error, nextAttemptAt: nextAt, leaseUntil: null, leaseOwner: null, updatedAt: now })
      .where(and(eq(callAnalyses.callId, callId), eq(callAnalyses.leaseOwner, owner)));
  }
}

import type { CallEventOf } from '@switchboard/core';
import { type Db, withDbErrors } from '@switchboard/store';
import { and, eq, getTableColumns, sql } from 'drizzle-orm';
import { agents, type CallRow, callEvents, calls } from '../tables.js';
import { rowsOf } from '../util.js';

const step = (status: string, at: Date) => JSON.stringify([{ status, at: at.toISOString() }]);

/** A calls row with its agent's current name, read in the same statement as the write. */
export type CallRowWithAgent = CallRow & { agentName: string | null };
export const withAgentName = {
  ...getTableColumns(calls),
  agentName: sql<string | null>`(select ${agents.name} from ${agents} where ${agents.id} = ${calls.agentId})`,
};

/**
 * The writes that make up a call's story, each meant to run inside the transaction that also
 * writes the event to the outbox.
 */
export class CallStoryRepo {
  constructor(private readonly db: Db) {}

  /**
   * Inbound calls have no row yet; outbound calls were queued by the dialer. Either way the row
   * ends up in progress with the agent version that answered, owned by the process running it
   * (`owner`, with a fresh heartbeat). Null when the id belongs to another
   * workspace (never overwritten).
   */
  async started(e: CallEventOf<'call.started'>, owner?: string): Promise<CallRowWithAgent | null> {
    const at = new Date(e.at);
    const d = e.data;
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(calls)
        .values({
          id: e.callId,
          workspaceId: e.workspaceId,
          agentId: d.agentId,
          agentVersion: d.agentVersion,
          direction: d.direction,
          connector: d.connector,
          fromNumber: d.from,
          toNumber: d.to,
          status: 'in-progress',
          statusProgression: [{ status: 'in-progress', at: at.toISOString() }],
          queuedAt: at,
          startedAt: at,
          ...(owner ? { owner, heartbeatAt: sql`now()` } : {}),
        })
        .onConflictDoUpdate({
          target: calls.id,
          set: {
            agentId: d.agentId,
            agentVersion: d.agentVersion,
            connector: d.connector,
            status: 'in-progress',
            statusProgression: sql`${calls.statusProgression} || ${step('in-progress', at)}::jsonb`,
            startedAt: sql`coalesce(${calls.startedAt}, excluded.started_at)`,
            ...(owner ? { owner, heartbeatAt: sql`now()` } : {}),
            updatedAt: new Date(),
          },
          setWhere: sql`${calls.workspaceId} = excluded.workspace_id`,
        })
        .returning(withAgentName);
      return row ?? null;
    });
  }

  async get(workspaceId: string, callId: string): Promise<CallRow | null> {
    const [row] = await this.db
      .select()
      .from(calls)
      .where(and(eq(calls.workspaceId, workspaceId), eq(calls.id, callId)));
    return row ?? null;
  }

  /**
   * Moves to `status` (appending to the progression) only when it changes. Null for an unknown
   * call, or one already ended as lost.
   */
  async status(
    workspaceId: string,
    callId: string,
    status: string,
    at: Date,
    fields: Partial<typeof calls.$inferInsert> = {},
  ): Promise<CallRowWithAgent | null> {
    const [row] = await this.db
      .update(calls)
      .set({
        ...fields,
        status,
        statusProgression: sql`case when ${calls.status} = ${status} then ${calls.statusProgression}
          else ${calls.statusProgression} || ${step(status, at)}::jsonb end`,
        updatedAt: new Date(),
      })
      // A call another process ended as lost stays so: a stalled owner's late events are not
      // reported a second time.
      .where(
        and(
          eq(calls.workspaceId, workspaceId),
          eq(calls.id, callId),
          sql`${calls.endedReason} is distinct from 'lost'`,
        ),
      )
      .returning(withAgentName);
    return row ?? null;
  }

  /** The next sequence number is computed in the insert; one call's writes are serialised. */
  async appendEvent(callId: string, type: string, at: Date, data: Record<string, unknown>): Promise<number> {
    const r = await this.db.execute(sql`
      insert into ${callEvents} (call_id, seq, type, at, data)
      select ${callId}, coalesce(max(seq), 0) + 1, ${type}, ${at.toISOString()}::timestamptz, ${JSON.stringify(data)}::jsonb
      from ${callEvents} where call_id = ${callId}
      returning seq`);
    return Number(rowsOf<{ seq: number }>(r)[0]?.seq ?? 0);
  }

  /**
   * Appends a story event to a call of the workspace and returns what its outbox row needs, in one
   * statement; null when the call is unknown (nothing is written).
   */
  async appendStoryEvent(
    workspaceId: string,
    callId: string,
    type: string,
    at: Date,
    data: Record<string, unknown>,
  ): Promise<{ agentId: string | null; agentVersion: number | null; seq: number } | null> {
    const r = await this.db.execute(sql`
      with c as (select agent_id, agent_version from ${calls}
                 where workspace_id = ${workspaceId} and id = ${callId}),
      ins as (insert into ${callEvents} (call_id, seq, type, at, data)
              select ${callId}::uuid,
                coalesce((select max(seq) from ${callEvents} where call_id = ${callId}), 0) + 1,
                ${type}::text, ${at.toISOString()}::timestamptz, ${JSON.stringify(data)}::jsonb
              from c
              returning seq)
      select c.agent_id, c.agent_version, (select seq from ins) as seq from c`);
    const row = rowsOf<{ agent_id: string | null; agent_version: number | null; seq: number | string }>(r)[0];
    if (!row) return null;
    return {
      agentId: row.agent_id,
      agentVersion: row.agent_version === null ? null : Number(row.agent_version),
      seq: Number(row.seq),
    };
  }
}

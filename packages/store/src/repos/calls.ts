import type { CallStatus } from '@switchboard/core';
import { notFound } from '@switchboard/core';
import { and, asc, eq, gte, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../database.js';
import { withDbErrors } from '../errors.js';
import { keyset, type PageQuery, toPage } from '../pagination.js';
import { callEvents, calls, type StatusChange, turnLatencies } from '../schema.js';

export type Call = typeof calls.$inferSelect;
export type CallInsert = typeof calls.$inferInsert;

export interface CallFilters extends PageQuery {
  status?: string | undefined;
  direction?: 'inbound' | 'outbound' | undefined;
  agentId?: string | undefined;
  outcome?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** The caller's or the called number, exactly as stored. */
  number?: string | undefined;
}

/** Call rows. The engine is their one writer; the API only reads. */
export class CallsRepo {
  constructor(private readonly db: Db) {}

  async create(input: CallInsert & { workspaceId: string }): Promise<Call> {
    const status = input.status ?? 'queued';
    return withDbErrors(async () => {
      const [row] = await this.db
        .insert(calls)
        .values({ ...input, status, statusProgression: [{ status, at: new Date().toISOString() }] })
        .returning();
      return row!;
    });
  }

  /** Appends to the status progression atomically, so concurrent writers never lose a step. */
  async setStatus(id: string, status: CallStatus | string, fields: Partial<CallInsert> = {}): Promise<Call> {
    const step: StatusChange[] = [{ status, at: new Date().toISOString() }];
    const [row] = await this.db
      .update(calls)
      .set({
        ...fields,
        status,
        statusProgression: sql`${calls.statusProgression} || ${JSON.stringify(step)}::jsonb`,
        updatedAt: new Date(),
      })
      .where(eq(calls.id, id))
      .returning();
    if (!row) throw notFound('call', id);
    return row;
  }

  /** Keeps the agent document a call runs with its overrides merged in. */
  async setAgentConfig(id: string, config: object): Promise<void> {
    await this.db
      .update(calls)
      .set({ agentConfig: config as Record<string, unknown>, updatedAt: new Date() })
      .where(eq(calls.id, id));
  }

  /**
   * Marks the live calls `owner` runs as alive, in one statement for all of them (never one per
   * call). Calls that ended, or that another process already ended as lost, are left alone.
   */
  async heartbeat(owner: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(calls)
      .set({ heartbeatAt: sql`now()` })
      .where(and(eq(calls.owner, owner), inArray(calls.id, [...ids])));
  }

  /**
   * An outbound call the dialer is placing through `connector` (status ringing), by its id alone:
   * for a carrier callback that carries the id back to whichever process it reaches.
   */
  async beingPlaced(id: string, connector: string): Promise<Call | undefined> {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
    const [row] = await this.db
      .select()
      .from(calls)
      .where(
        and(
          eq(calls.id, id),
          eq(calls.direction, 'outbound'),
          eq(calls.connector, connector),
          eq(calls.status, 'ringing'),
        ),
      );
    return row;
  }

  async list(workspaceId: string, q: CallFilters) {
    const k = keyset(calls.createdAt, calls.id, q);
    const rows = await this.db
      .select()
      .from(calls)
      .where(
        and(
          eq(calls.workspaceId, workspaceId),
          q.status ? eq(calls.status, q.status) : undefined,
          q.direction ? eq(calls.direction, q.direction) : undefined,
          q.agentId ? eq(calls.agentId, q.agentId) : undefined,
          q.outcome ? eq(calls.outcome, q.outcome) : undefined,
          q.number ? or(eq(calls.fromNumber, q.number), eq(calls.toNumber, q.number)) : undefined,
          q.since ? gte(calls.createdAt, q.since) : undefined,
          q.until ? lt(calls.createdAt, q.until) : undefined,
          k.where,
        ),
      )
      .orderBy(...k.order)
      .limit(k.limit + 1);
    return toPage(rows, k.limit);
  }

  async get(workspaceId: string, id: string): Promise<Call> {
    const [row] = await this.db
      .select()
      .from(calls)
      .where(and(eq(calls.workspaceId, workspaceId), eq(calls.id, id)));
    if (!row) throw notFound('call', id);
    return row;
  }

  async appendEvent(callId: string, seq: number, type: string, at: Date, data: Record<string, unknown>) {
    await this.db.insert(callEvents).values({ callId, seq, type, at, data });
  }

  async events(workspaceId: string, callId: string) {
    await this.get(workspaceId, callId);
    return this.db
      .select()
      .from(callEvents)
      .where(eq(callEvents.callId, callId))
      .orderBy(asc(callEvents.seq));
  }

  async saveLatencies(callId: string, rows: Omit<typeof turnLatencies.$inferInsert, 'callId'>[]) {
    if (rows.length === 0) return;
    await this.db
      .insert(turnLatencies)
      .values(rows.map((r) => ({ ...r, callId })))
      .onConflictDoNothing();
  }

  async latencies(workspaceId: string, callId: string) {
    await this.get(workspaceId, callId);
    return this.db
      .select()
      .from(turnLatencies)
      .where(eq(turnLatencies.callId, callId))
      .orderBy(asc(turnLatencies.turn));
  }

  /**
   * Calls created in [since, until): how many per hour, how many of each outcome (null while a call
   * is not over), and the response time of their turns (end of the caller's speech to the first
   * audio sent) at the 50th and 95th percentile, in ms (null without a measured turn).
   */
  async stats(workspaceId: string, since: Date, until: Date): Promise<CallStats> {
    const inRange = and(
      eq(calls.workspaceId, workspaceId),
      gte(calls.createdAt, since),
      lt(calls.createdAt, until),
    );
    const hour = sql<string>`date_trunc('hour', ${calls.createdAt})`;
    const [perHour, outcomes, latency] = await Promise.all([
      this.db
        .select({ hour, count: sql<number>`count(*)::int` })
        .from(calls)
        .where(inRange)
        .groupBy(hour)
        .orderBy(hour),
      this.db
        .select({ outcome: calls.outcome, count: sql<number>`count(*)::int` })
        .from(calls)
        .where(inRange)
        .groupBy(calls.outcome),
      this.db
        .select({
          turns: sql<number>`count(*)::int`,
          p50: sql<
            number | null
          >`percentile_cont(0.5) within group (order by ${turnLatencies.firstAudioSentMs} - ${turnLatencies.callerStoppedMs})`,
          p95: sql<
            number | null
          >`percentile_cont(0.95) within group (order by ${turnLatencies.firstAudioSentMs} - ${turnLatencies.callerStoppedMs})`,
        })
        .from(turnLatencies)
        .innerJoin(calls, eq(calls.id, turnLatencies.callId))
        .where(
          and(
            inRange,
            sql`${turnLatencies.firstAudioSentMs} is not null and ${turnLatencies.callerStoppedMs} is not null`,
          ),
        ),
    ]);
    const l = latency[0];
    return {
      perHour: perHour.map((r) => ({ hour: new Date(r.hour), count: Number(r.count) })),
      outcomes: outcomes.map((r) => ({ outcome: r.outcome, count: Number(r.count) })),
      responseMs: {
        turns: Number(l?.turns ?? 0),
        p50: l?.p50 === null || l?.p50 === undefined ? null : Number(l.p50),
        p95: l?.p95 === null || l?.p95 === undefined ? null : Number(l.p95),
      },
    };
  }
}

export interface CallStats {
  perHour: { hour: Date; count: number }[];
  outcomes: { outcome: string | null; count: number }[];
  responseMs: { turns: number; p50: number | null; p95: number | null };
}

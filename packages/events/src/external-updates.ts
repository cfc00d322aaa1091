import { CALL_OUTCOMES, type CallOutcome, ENDED_REASONS } from '@switchboard/core';
import type { Db } from '@switchboard/store';
import { and, eq, or, sql } from 'drizzle-orm';
import { callEndedPayload, callSummary } from './call-payload.js';
import type { ExternalUpdate } from './external-schema.js';
import type { OutboxWriter } from './outbox-writer.js';
import { CallStoryRepo } from './repos/call-story.js';
import { type CallRow, calls } from './tables.js';

export interface ExternalUpdateResult {
  index: number;
  callId: string;
  status: string;
  /** False when this (call, status) was already recorded: repeating a batch changes nothing. */
  applied: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_BY_STATUS: Record<string, string | undefined> = {
  ringing: 'call.ringing',
  'in-progress': 'call.started',
  ended: 'call.ended',
};
const isOutcome = (s: string): s is CallOutcome => (CALL_OUTCOMES as readonly string[]).includes(s);

/**
 * Status updates from runtimes outside Switchboard (a Pipecat bot, a queue worker). Each item is
 * applied in its own transaction with the events it implies, idempotently per (call, status).
 */
export class ExternalUpdates {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxWriter,
  ) {}

  async apply(
    workspaceId: string,
    items: ExternalUpdate[],
    now = new Date(),
  ): Promise<ExternalUpdateResult[]> {
    const out: ExternalUpdateResult[] = [];
    for (const [index, item] of items.entries()) {
      out.push({ index, ...(await this.#applyOne(workspaceId, item, now)) });
    }
    return out;
  }

  async #applyOne(workspaceId: string, u: ExternalUpdate, now: Date) {
    const status = isOutcome(u.status) ? 'ended' : u.status;
    const outcome =
      u.call_outcome ?? (isOutcome(u.status) ? u.status : status === 'ended' ? 'completed' : null);
    return this.db.transaction(async (t) => {
      const tx = t as Db;
      // Two requests about one new call must not both create it.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`${workspaceId}:${u.call_id}`}))`);
      const found = await this.#find(tx, workspaceId, u.call_id);
      let row = found ?? (await this.#create(tx, workspaceId, u, now));
      if (row.statusProgression.some((s) => s.status === status)) {
        return { callId: row.id, status, applied: !found };
      }
      const repo = new CallStoryRepo(tx);
      const start = u.start_time ? new Date(u.start_time) : null;
      const end = u.end_time ? new Date(u.end_time) : null;
      const at = status === 'ended' ? (end ?? now) : status === 'in-progress' ? (start ?? now) : now;
      row =
        (await repo.status(workspaceId, row.id, status, at, {
          ...(start ? { startedAt: start } : status === 'in-progress' ? { startedAt: at } : {}),
          ...(status === 'in-progress' && !row.answeredAt ? { answeredAt: at } : {}),
          ...(status === 'ended'
            ? {
                endedAt: at,
                outcome,
                endedReason: (ENDED_REASONS as readonly string[]).includes(outcome ?? '') ? outcome : null,
                durationMs: u.duration_seconds != null ? Math.round(u.duration_seconds * 1000) : null,
              }
            : {}),
          ...(u.error ? { error: u.error } : {}),
          ...(u.variables ? { variables: { ...row.variables, ...u.variables } } : {}),
        })) ?? row;
      await repo.appendEvent(row.id, 'external.update', now, { ...u });
      const type = EVENT_BY_STATUS[status];
      if (type) {
        const external = {
          campaignId: u.campaign_id ?? null,
          queueJobId: u.queue_job_id ?? null,
          dataSource: u.data_source ?? 'external',
          recordingUrl: u.recording_url ?? null,
          recordingStatus: u.recording_status ?? null,
        };
        const payload =
          type === 'call.ended'
            ? callEndedPayload(row, {
                transcript: transcriptOf(u),
                latencies: [],
                agentName: u.agent_name ?? null,
                external,
              })
            : { ...callSummary(row, u.agent_name ?? null), at: at.toISOString(), external };
        await this.outbox.append(tx, {
          type,
          workspaceId,
          callId: row.id,
          agentId: row.agentId,
          agentVersion: row.agentVersion,
          payload,
        });
      }
      return { callId: row.id, status, applied: true };
    });
  }

  async #find(tx: Db, workspaceId: string, callId: string): Promise<CallRow | undefined> {
    const [row] = await tx
      .select()
      .from(calls)
      .where(
        and(
          eq(calls.workspaceId, workspaceId),
          UUID.test(callId)
            ? or(eq(calls.id, callId), eq(calls.externalId, callId), eq(calls.customCallId, callId))
            : or(eq(calls.externalId, callId), eq(calls.customCallId, callId)),
        ),
      )
      .limit(1);
    return row;
  }

  async #create(tx: Db, workspaceId: string, u: ExternalUpdate, now: Date): Promise<CallRow> {
    const [row] = await tx
      .insert(calls)
      .values({
        workspaceId,
        direction: 'outbound',
        connector: 'external',
        externalId: u.call_id,
        fromNumber: '',
        toNumber: u.phone_number ?? '',
        // The runtime had it queued before anything else it reports.
        status: 'queued',
        statusProgression: [{ status: 'queued', at: now.toISOString() }],
        variables: u.variables ?? {},
        queuedAt: now,
      })
      .returning();
    return row!;
  }
}

function transcriptOf(u: ExternalUpdate) {
  if (!u.transcript) return [];
  if (typeof u.transcript === 'string') return [{ role: 'agent' as const, text: u.transcript, startMs: 0 }];
  return u.transcript.map((t) => ({
    role: /^(user|caller|customer|human)$/i.test(t.role) ? ('caller' as const) : ('agent' as const),
    text: t.text ?? t.content ?? '',
    startMs: 0,
  }));
}

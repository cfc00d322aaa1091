import type { Logger, TranscriptEntry } from '@switchboard/core';
import type { Db, Store } from '@switchboard/store';
import { and, asc, eq, inArray, isNotNull, lt, ne, sql } from 'drizzle-orm';
import { callEndedPayload } from './call-payload.js';
import type { OutboxWriter } from './outbox-writer.js';
import { withAgentName } from './repos/call-story.js';
import { callEvents, calls } from './tables.js';
import { errorFields } from './util.js';

export interface SweepOptions {
  /** A call whose heartbeat is older than this is lost; 0 ends every owned call (see `startup`). */
  timeoutMs: number;
  /** This process's instance id: its own calls are never swept. */
  self: string;
  /** Most calls ended per transaction. */
  batch?: number;
}

/**
 * Ends the calls whose process died: live calls (an owner is set) whose heartbeat is older than
 * `timeoutMs` become `ended` with reason `lost`, and their `call.ended` goes to the outbox in the
 * same transaction, so webhooks fire. The candidates are locked with SKIP LOCKED and the update
 * re-checks them, so processes sweeping at once each end a different call, and each call once.
 * Returns the ids it ended.
 */
export async function sweepLostCalls(store: Store, outbox: OutboxWriter, o: SweepOptions): Promise<string[]> {
  const ended: string[] = [];
  for (;;) {
    const ids = await store.database.db.transaction(async (t) => {
      const tx = t as Db;
      const stale = tx
        .select({ id: calls.id })
        .from(calls)
        .where(
          and(
            isNotNull(calls.owner),
            ne(calls.owner, o.self),
            ne(calls.status, 'ended'),
            lt(calls.heartbeatAt, sql`now() - ${o.timeoutMs} * interval '1 millisecond'`),
          ),
        )
        .orderBy(asc(calls.heartbeatAt))
        .limit(o.batch ?? 100)
        .for('update', { skipLocked: true });
      // The last heartbeat is the best estimate of when the call ended (never later than now).
      const endedAt = sql`least(coalesce(${calls.heartbeatAt}, now()), now())`;
      const rows = await tx
        .update(calls)
        .set({
          status: 'ended',
          outcome: 'failed',
          endedReason: 'lost',
          endedAt: sql`${endedAt}`,
          durationMs: sql`greatest(0, (extract(epoch from (${endedAt} - coalesce(${calls.answeredAt}, ${calls.startedAt}, ${endedAt}))) * 1000)::bigint)`,
          statusProgression: sql`${calls.statusProgression} || jsonb_build_array(jsonb_build_object('status', 'ended', 'at', to_char(${endedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))`,
          owner: null,
          updatedAt: new Date(),
        })
        .where(and(inArray(calls.id, stale), isNotNull(calls.owner), ne(calls.status, 'ended')))
        .returning(withAgentName);
      if (rows.length === 0) return [];
      const transcripts = await transcriptsOf(
        tx,
        rows.map((r) => r.id),
      );
      for (const row of rows) {
        await outbox.append(tx, {
          type: 'call.ended',
          workspaceId: row.workspaceId,
          callId: row.id,
          agentId: row.agentId,
          agentVersion: row.agentVersion,
          payload: callEndedPayload(row, {
            transcript: transcripts.get(row.id) ?? [],
            latencies: [],
            agentName: row.agentName,
          }),
        });
      }
      return rows.map((r) => r.id);
    });
    ended.push(...ids);
    if (ids.length < (o.batch ?? 100)) return ended;
  }
}

/** What was said before the call was lost, from its stored transcript events. */
async function transcriptsOf(tx: Db, ids: string[]): Promise<Map<string, TranscriptEntry[]>> {
  const rows = await tx
    .select({ callId: callEvents.callId, data: callEvents.data })
    .from(callEvents)
    .where(and(inArray(callEvents.callId, ids), eq(callEvents.type, 'transcript.final')))
    .orderBy(asc(callEvents.callId), asc(callEvents.seq));
  const out = new Map<string, TranscriptEntry[]>();
  for (const r of rows) {
    const list = out.get(r.callId) ?? [];
    list.push({
      role: r.data.role as TranscriptEntry['role'],
      text: String(r.data.text ?? ''),
      startMs: Number(r.data.startMs ?? 0),
    });
    out.set(r.callId, list);
  }
  return out;
}

export interface LostCallSweeperOptions extends SweepOptions {
  store: Store;
  outbox: OutboxWriter;
  logger: Logger;
  /** How often to sweep; defaults to half the timeout. */
  intervalMs?: number;
}

/**
 * Sweeps for lost calls now and then every `intervalMs` until stopped. Any process may run one;
 * the sweep itself keeps several from ending a call twice.
 */
export class LostCallSweeper {
  /** Calls this process has ended as lost since it started. */
  swept = 0;
  readonly #o: LostCallSweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopped = false;

  constructor(options: LostCallSweeperOptions) {
    this.#o = options;
  }

  /** One sweep; `timeoutMs` overrides the configured one (0 at the start of a sole process). */
  async sweep(timeoutMs = this.#o.timeoutMs): Promise<string[]> {
    const ids = await sweepLostCalls(this.#o.store, this.#o.outbox, { ...this.#o, timeoutMs });
    this.swept += ids.length;
    if (ids.length > 0) {
      this.#o.logger.warn({ calls: ids.length, callIds: ids }, 'ended calls whose process stopped (lost)');
    }
    return ids;
  }

  start(): void {
    const interval = this.#o.intervalMs ?? Math.max(1000, Math.floor(this.#o.timeoutMs / 2));
    const tick = () => {
      this.#running = this.sweep()
        .catch((e: unknown) => this.#o.logger.warn(errorFields(e), 'lost-call sweep failed; retrying'))
        .finally(() => {
          this.#running = undefined;
          if (!this.#stopped) this.#timer = setTimeout(tick, interval);
        });
    };
    this.#timer = setTimeout(tick, interval);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}

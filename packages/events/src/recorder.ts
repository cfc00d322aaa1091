import type { CallEvent, CallEventBus, Logger, TurnLatency } from '@switchboard/core';
import type { Db, Store } from '@switchboard/store';
import { callEndedPayload, callSummary } from './call-payload.js';
import { KeyedQueue } from './keyed-queue.js';
import { OutboxWriter } from './outbox-writer.js';
import { AnalysesRepo } from './repos/analyses.js';
import { CallStoryRepo } from './repos/call-story.js';
import { turnLatencies } from './tables.js';
import { errorFields } from './util.js';

export interface CallRecorderDeps {
  store: Store;
  bus: CallEventBus;
  logger: Logger;
  /** Shared with external updates so targets resolve the same way; defaults to no MQTT. */
  outbox?: OutboxWriter;
  /** This process's instance id: the owner of the calls it starts, until they end. */
  instanceId?: string;
}

export interface CallRecorder {
  /** Waits until every event received so far is written. */
  flush(): Promise<void>;
  /** Unsubscribes and waits for queued writes. */
  stop(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Stored as call_events; the rest are state on the calls row. */
const STORY_EVENTS = new Set([
  'transcript.final',
  'tool.called',
  'dtmf.received',
  'agent.interrupted',
  'recording.paused',
  'recording.resumed',
  'context.injected',
  'transfer.status',
  'call.analyzed',
]);

/**
 * Persists each call's story from the event bus: the calls row, its events in order and its
 * latencies, each write in one transaction with the outbox rows that report it. One call's
 * events are written strictly in order; different calls proceed in parallel.
 */
export function createCallRecorder(deps: CallRecorderDeps): CallRecorder {
  const { store, logger } = deps;
  const outbox = deps.outbox ?? new OutboxWriter();
  const queue = new KeyedQueue();
  const db = store.database.db;

  const write = async (e: CallEvent): Promise<void> => {
    if (!UUID.test(e.callId)) {
      logger.warn({ callId: e.callId, event: e.type }, 'call id is not a uuid; event not persisted');
      return;
    }
    await db.transaction(async (tx) => {
      const applied = await apply(tx as Db, e);
      if (!applied) return;
      await outbox.append(tx as Db, {
        type: e.type,
        workspaceId: e.workspaceId,
        callId: e.callId,
        agentId: applied.agentId,
        agentVersion: applied.agentVersion,
        payload: applied.payload,
      });
    });
  };

  type Applied = { agentId: string | null; agentVersion: number | null; payload: Record<string, unknown> };
  const apply = async (tx: Db, e: CallEvent): Promise<Applied | null> => {
    const repo = new CallStoryRepo(tx);
    const at = new Date(e.at);
    if (e.type === 'call.started') {
      const row = await repo.started(e, e.data.remote ? undefined : deps.instanceId);
      if (!row) {
        logger.warn({ callId: e.callId }, 'call id belongs to another workspace; event dropped');
        return null;
      }
      return { ...row, payload: callSummary(row, row.agentName) };
    }
    const unknown = () => {
      logger.warn(
        { callId: e.callId, event: e.type },
        'event for an unknown call (or one already ended as lost); not persisted',
      );
      return null;
    };
    const base = { callId: e.callId, at: at.toISOString() };
    // Each write returns the row it changed (or nothing for an unknown call), so no read comes first.
    switch (e.type) {
      case 'call.ringing': {
        const row = await repo.status(e.workspaceId, e.callId, 'ringing', at);
        return row ? { ...row, payload: { ...callSummary(row), ...base } } : unknown();
      }
      case 'call.answered': {
        const row = await repo.status(e.workspaceId, e.callId, 'in-progress', at, { answeredAt: at });
        return row
          ? { ...row, payload: { ...callSummary(row), ...base, answeredAt: at.toISOString() } }
          : unknown();
      }
      case 'call.ended': {
        const d = e.data;
        const row = await repo.status(e.workspaceId, e.callId, 'ended', at, {
          outcome: d.outcome,
          endedReason: d.endedReason,
          endedAt: at,
          durationMs: d.durationMs,
          owner: null,
          ...(d.providers ? { providersUsed: d.providers as Record<string, string> } : {}),
          ...(d.recordingPath ? { recordingPath: d.recordingPath } : {}),
          ...(d.recordingUrl ? { recordingUrl: d.recordingUrl } : {}),
          ...(d.error ? { error: d.error } : {}),
        });
        if (!row) return unknown();
        // Post-call analysis is queued with the state change, so a crash cannot lose it.
        await new AnalysesRepo(tx).enqueueIfWanted(
          {
            callId: e.callId,
            workspaceId: e.workspaceId,
            agentId: row.agentId,
            agentVersion: row.agentVersion,
          },
          at,
        );
        if (d.latencies.length > 0) {
          await tx
            .insert(turnLatencies)
            .values(d.latencies.map((l) => roundLatency(e.callId, l)))
            .onConflictDoNothing();
        }
        return {
          ...row,
          payload: callEndedPayload(row, {
            transcript: d.transcript,
            latencies: d.latencies,
            agentName: row.agentName,
          }),
        };
      }
      case 'transcript.partial':
      case 'turn.latency':
        return null;
      default: {
        if (!STORY_EVENTS.has(e.type)) return null;
        const data = e.data as unknown as Record<string, unknown>;
        const r = await repo.appendStoryEvent(e.workspaceId, e.callId, e.type, at, data);
        return r ? { ...r, payload: { ...base, seq: r.seq, ...data } } : unknown();
      }
    }
  };

  const unsubscribe = deps.bus.subscribe((e) => {
    if (e.type === 'transcript.partial' || e.type === 'turn.latency') return;
    void queue.run(e.callId, () =>
      write(e).catch((err: unknown) => {
        logger.error(
          { ...errorFields(err), callId: e.callId, event: e.type },
          'could not persist call event',
        );
      }),
    );
  });

  return {
    flush: () => queue.drain(),
    async stop() {
      unsubscribe();
      await queue.drain();
    },
  };
}

const ms = (v: number | undefined) => (v === undefined ? null : Math.round(v));
const roundLatency = (callId: string, l: TurnLatency) => ({
  callId,
  turn: l.turn,
  callerStoppedMs: ms(l.callerStoppedMs),
  asrFinalMs: ms(l.asrFinalMs),
  llmFirstTokenMs: ms(l.llmFirstTokenMs),
  ttsFirstAudioMs: ms(l.ttsFirstAudioMs),
  firstAudioSentMs: ms(l.firstAudioSentMs),
});

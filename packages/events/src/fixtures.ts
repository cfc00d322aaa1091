import { randomUUID } from 'node:crypto';
import type { CallEvent, CallEventBus, TranscriptEntry } from '@switchboard/core';
import type { Store } from '@switchboard/store';

/** A workspace with one published agent, for tests and the benchmark. */
export async function seedWorkspace(store: Store, config: Record<string, unknown> = {}) {
  const ws = await store.accounts.createWorkspace(`ws-${randomUUID().slice(0, 8)}`);
  const agent = await store.agents.create(ws.id, { name: 'Receptionist', publish: true, config });
  return { workspaceId: ws.id, agentId: agent.id };
}

/** Publishes a short, complete call the way the engine does: started … ended. */
export function publishCall(
  bus: CallEventBus,
  ids: { workspaceId: string; agentId: string; callId?: string },
  options: { at?: number; turns?: number } = {},
): string {
  const callId = ids.callId ?? randomUUID();
  let at = options.at ?? Date.now();
  const base = { callId, workspaceId: ids.workspaceId };
  const send = (e: Omit<CallEvent, 'callId' | 'workspaceId' | 'at'>) =>
    bus.publish({ ...base, at: at++, ...e } as CallEvent);
  send({
    type: 'call.started',
    data: {
      direction: 'inbound',
      from: '+14155550100',
      to: '+14155550199',
      agentId: ids.agentId,
      agentVersion: 1,
      connector: 'sip',
    },
  });
  send({ type: 'call.answered', data: {} });
  const transcript: TranscriptEntry[] = [];
  for (let i = 0; i < (options.turns ?? 2); i++) {
    const caller: TranscriptEntry = { role: 'caller', text: `question ${i}`, startMs: i * 2000 };
    const agent: TranscriptEntry = { role: 'agent', text: `answer ${i}`, startMs: i * 2000 + 1000 };
    send({ type: 'transcript.final', data: caller });
    send({ type: 'transcript.final', data: agent });
    transcript.push(caller, agent);
  }
  send({ type: 'dtmf.received', data: { digit: '5' } });
  send({
    type: 'call.ended',
    data: {
      outcome: 'completed',
      endedReason: 'caller-hangup',
      durationMs: 4321,
      transcript,
      latencies: [{ turn: 1, callerStoppedMs: 100.4, asrFinalMs: 250, firstAudioSentMs: 900.7 }],
      providers: { asr: 'local:pocketsphinx' },
      recordingPath: '/tmp/none.wav',
    },
  });
  return callId;
}

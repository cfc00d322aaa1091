import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallEventBus, silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { eq } from 'drizzle-orm';
import { publishCall, seedWorkspace } from './fixtures.js';
import { OutboxWriter } from './outbox-writer.js';
import { createCallRecorder } from './recorder.js';
import { WebhooksRepo } from './repos/webhooks.js';
import { deliveries, outbox } from './tables.js';

for (const backend of testBackends()) {
  describe(`call recorder (${backend})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(backend);
    });
    after(() => store.close());

    test('an inbound call is created from call.started and its story is written in order', async () => {
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store, bus, logger: silentLogger() });
      const { workspaceId, agentId } = await seedWorkspace(store);
      const callId = publishCall(bus, { workspaceId, agentId }, { turns: 3 });
      await rec.stop();

      const call = await store.calls.get(workspaceId, callId);
      assert.equal(call.status, 'ended');
      assert.deepEqual(
        call.statusProgression.map((s) => s.status),
        ['in-progress', 'ended'],
      );
      assert.equal(call.outcome, 'completed');
      assert.equal(call.endedReason, 'caller-hangup');
      assert.equal(call.durationMs, 4321);
      assert.equal(call.agentVersion, 1);
      assert.ok(call.startedAt && call.answeredAt && call.endedAt);
      assert.deepEqual(call.providersUsed, { asr: 'local:pocketsphinx' });
      assert.equal(call.recordingPath, '/tmp/none.wav');

      const events = await store.calls.events(workspaceId, callId);
      assert.deepEqual(
        events.map((e) => [e.seq, e.type]),
        [
          [1, 'transcript.final'],
          [2, 'transcript.final'],
          [3, 'transcript.final'],
          [4, 'transcript.final'],
          [5, 'transcript.final'],
          [6, 'transcript.final'],
          [7, 'dtmf.received'],
        ],
      );
      assert.equal(events[5]?.data.text, 'answer 2');
      const lat = await store.calls.latencies(workspaceId, callId);
      assert.deepEqual(lat[0], {
        callId,
        turn: 1,
        callerStoppedMs: 100,
        asrFinalMs: 250,
        llmFirstTokenMs: null,
        ttsFirstAudioMs: null,
        firstAudioSentMs: 901,
      });
      // Nobody subscribed: nothing in the outbox.
      const rows = await store.database.db.select().from(outbox).where(eq(outbox.callId, callId));
      assert.equal(rows.length, 0);
    });

    test('an outbound call queued beforehand is taken over, not duplicated', async () => {
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store, bus, logger: silentLogger() });
      const { workspaceId, agentId } = await seedWorkspace(store);
      const queued = await store.calls.create({
        workspaceId,
        direction: 'outbound',
        connector: 'sip',
        fromNumber: '+14155550100',
        toNumber: '+14155550111',
        variables: { name: 'Ada' },
        customCallId: 'crm-42',
      });
      publishCall(bus, { workspaceId, agentId, callId: queued.id });
      await rec.stop();
      const call = await store.calls.get(workspaceId, queued.id);
      assert.deepEqual(
        call.statusProgression.map((s) => s.status),
        ['queued', 'in-progress', 'ended'],
      );
      assert.equal(call.toNumber, '+14155550111', 'the dialer row keeps its numbers');
      assert.deepEqual(call.variables, { name: 'Ada' });
      assert.equal(call.customCallId, 'crm-42');
    });

    test('call.ended reaches the outbox with the full story, with one delivery per target', async () => {
      const bus = new CallEventBus();
      const { workspaceId, agentId } = await seedWorkspace(store, { webhookUrl: 'http://127.0.0.1:9/agent' });
      const hooks = new WebhooksRepo(store.database.db, store.credentials);
      await hooks.create(workspaceId, {
        url: 'http://127.0.0.1:9/all',
        eventTypes: ['call.ended', 'transcript.final'],
      });
      const rec = createCallRecorder({
        store,
        bus,
        logger: silentLogger(),
        outbox: OutboxWriter.withMqtt(true),
      });
      const callId = publishCall(bus, { workspaceId, agentId });
      await rec.stop();
      const events = await store.database.db
        .select()
        .from(outbox)
        .where(eq(outbox.callId, callId))
        .orderBy(outbox.seq);
      assert.deepEqual(
        events.map((e) => e.type),
        [
          'call.started',
          'call.answered',
          'transcript.final',
          'transcript.final',
          'transcript.final',
          'transcript.final',
          'dtmf.received',
          'call.ended',
        ],
      );
      const ended = events.at(-1)!;
      const p = ended.payload;
      assert.equal(p.callId, callId);
      assert.equal(p.agentId, agentId);
      assert.equal(p.agentName, 'Receptionist');
      assert.equal(p.agentVersion, 1);
      assert.equal(p.from, '+14155550100');
      assert.equal(p.direction, 'inbound');
      assert.equal(p.outcome, 'completed');
      assert.equal(p.endedReason, 'caller-hangup');
      assert.equal(p.durationMs, 4321);
      assert.equal(p.hasRecording, true);
      assert.equal((p.transcript as unknown[]).length, 4);
      assert.equal((p.latencies as unknown[]).length, 1);
      assert.deepEqual(
        (p.statusProgression as { status: string }[]).map((s) => s.status),
        ['in-progress', 'ended'],
      );
      const d = await store.database.db.select().from(deliveries).where(eq(deliveries.eventId, ended.id));
      assert.deepEqual(d.map((x) => x.target).sort(), ['agent', 'mqtt', 'webhook']);
      // The agent webhook gets the lifecycle only; the workspace webhook only what it subscribed to.
      const all = await store.database.db.select().from(deliveries).where(eq(deliveries.callId, callId));
      assert.equal(all.filter((x) => x.target === 'webhook').length, 5);
      assert.equal(all.filter((x) => x.target === 'agent').length, 3);
      assert.equal(all.filter((x) => x.target === 'mqtt').length, 8);
    });

    test('events for an unknown call or a non-uuid id are dropped without throwing', async () => {
      const bus = new CallEventBus();
      const rec = createCallRecorder({ store, bus, logger: silentLogger() });
      const { workspaceId } = await seedWorkspace(store);
      bus.publish({
        type: 'call.answered',
        callId: crypto.randomUUID(),
        workspaceId,
        at: Date.now(),
        data: {},
      });
      bus.publish({ type: 'call.answered', callId: 'leg-1', workspaceId, at: Date.now(), data: {} });
      await rec.stop();
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallEventBus, silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore } from '@switchboard/store/testing';
import mqtt from 'mqtt';
import { DeliveryWorker } from './delivery-worker.js';
import { publishCall, seedWorkspace } from './fixtures.js';
import { createMqttPublisher, type MqttPublisher } from './mqtt-publisher.js';
import { OutboxWriter } from './outbox-writer.js';
import { createCallRecorder } from './recorder.js';
import { mqttSkip, testMqttUrl } from './testing.js';

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

describe('MQTT publishing', { skip: mqttSkip() }, () => {
  let store: Store;
  let publisher: MqttPublisher;
  before(async () => {
    const url = testMqttUrl();
    assert.ok(url, 'CI must export MQTT_URL or TEST_MQTT_URL');
    store = await openTestStore('pglite');
    publisher = createMqttPublisher({ url, logger: silentLogger() });
  });
  after(async () => {
    await publisher?.close();
    await store?.close();
  });

  test('every event of a call reaches switchboard/<workspace>/calls/<event> with QoS 1, in order', async () => {
    const { workspaceId, agentId } = await seedWorkspace(store);
    const sub = await mqtt.connectAsync(testMqttUrl()!, { clean: true });
    const got: {
      topic: string;
      qos: number;
      body: { id: string; type: string; data: { callId: string } };
    }[] = [];
    sub.on('message', (topic, payload, packet) =>
      got.push({ topic, qos: packet.qos, body: JSON.parse(String(payload)) }),
    );
    await sub.subscribeAsync(`switchboard/${workspaceId}/calls/#`, { qos: 1 });
    await waitFor(() => publisher.state().state === 'up');

    const bus = new CallEventBus();
    const rec = createCallRecorder({
      store,
      bus,
      logger: silentLogger(),
      outbox: OutboxWriter.withMqtt(true),
    });
    const callId = publishCall(bus, { workspaceId, agentId });
    await rec.stop();
    const worker = new DeliveryWorker({ store, logger: silentLogger(), mqtt: publisher });
    while ((await worker.tick()) > 0) {}
    await waitFor(() => got.length >= 8);
    await sub.endAsync();

    const types = got.map((g) => g.body.type);
    assert.deepEqual(types, [
      'call.started',
      'call.answered',
      'transcript.final',
      'transcript.final',
      'transcript.final',
      'transcript.final',
      'dtmf.received',
      'call.ended',
    ]);
    for (const g of got) {
      assert.equal(g.topic, `switchboard/${workspaceId}/calls/${g.body.type}`);
      assert.equal(g.qos, 1);
      assert.equal(g.body.data.callId, callId);
    }
    assert.equal(new Set(got.map((g) => g.body.id)).size, 8);
  });

  test('an unreachable broker reports down, and deliveries wait in the outbox instead of failing', async () => {
    const down = createMqttPublisher({
      url: 'mqtt://127.0.0.1:1',
      logger: silentLogger(),
      minReconnectMs: 50,
    });
    try {
      const r = await down.publish('switchboard/x/calls/call.ended', '{}');
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.permanent, false);
      assert.equal(down.state().state, 'down');
    } finally {
      await down.close();
    }
  });
});

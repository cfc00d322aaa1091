import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CallEventBus, silentLogger } from '@switchboard/core';
import mqtt from 'mqtt';
import { publishCall } from './fixtures.js';
import { discoveryTopics, HaDiscovery } from './mqtt-discovery.js';
import { createMqttPublisher, type MqttPublisher } from './mqtt-publisher.js';
import { mqttSkip, testMqttUrl } from './testing.js';

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

describe('Home Assistant MQTT discovery of live calls', { skip: mqttSkip() }, () => {
  let publisher: MqttPublisher;
  before(async () => {
    publisher = createMqttPublisher({ url: testMqttUrl()!, logger: silentLogger() });
    await waitFor(() => publisher.state().state === 'up');
  });
  after(async () => {
    await publisher?.close();
  });

  test('a call appears as a retained sensor config, its state follows the call, and it is removed at the end', async () => {
    const prefix = `ha-test-${randomUUID().slice(0, 8)}`;
    const workspaceId = randomUUID();
    const agentId = randomUUID();
    const callId = randomUUID();
    const bus = new CallEventBus();
    const discovery = new HaDiscovery({ bus, mqtt: publisher, logger: silentLogger(), prefix });
    discovery.start();
    const topics = discoveryTopics(prefix, workspaceId, callId);

    const sub = await mqtt.connectAsync(testMqttUrl()!, { clean: true });
    const got: { topic: string; body: string; retain: boolean }[] = [];
    sub.on('message', (topic, payload, packet) =>
      got.push({ topic, body: String(payload), retain: packet.retain }),
    );
    await sub.subscribeAsync([`${prefix}/#`, `switchboard/${workspaceId}/calls/#`], { qos: 1 });

    // Only the start: a Home Assistant subscribing now gets the config and state as retained messages.
    bus.publish({
      type: 'call.started',
      callId,
      workspaceId,
      at: Date.now(),
      data: { direction: 'inbound', from: '+15550000001', to: '+15550000002', agentId, agentVersion: 3 },
    } as never);
    bus.publish({ type: 'call.answered', callId, workspaceId, at: Date.now(), data: {} } as never);
    await discovery.flush();
    const late = await mqtt.connectAsync(testMqttUrl()!, { clean: true });
    const retained: { topic: string; body: string }[] = [];
    late.on('message', (topic, payload, packet) => {
      if (packet.retain) retained.push({ topic, body: String(payload) });
    });
    await late.subscribeAsync([topics.config, topics.state], { qos: 1 });
    await waitFor(() => retained.length >= 2);
    await late.endAsync();
    const config = JSON.parse(retained.find((r) => r.topic === topics.config)!.body);
    assert.equal(config.state_topic, topics.state);
    assert.equal(config.json_attributes_topic, topics.attributes);
    assert.equal(config.device.name, 'Switchboard');
    assert.equal(retained.find((r) => r.topic === topics.state)?.body, 'answered');
    assert.ok(!JSON.stringify(retained).includes('+1555'), 'no phone numbers are published');

    bus.publish({
      type: 'tool.called',
      callId,
      workspaceId,
      at: Date.now(),
      data: { name: 'home_get_state', args: {}, result: {}, ok: true, durationMs: 3 },
    } as never);
    bus.publish({
      type: 'call.ended',
      callId,
      workspaceId,
      at: Date.now(),
      data: {
        outcome: 'completed',
        endedReason: 'caller-hangup',
        durationMs: 12_400,
        transcript: [],
        latencies: [],
      },
    } as never);
    await discovery.flush();
    await waitFor(() => got.filter((g) => g.topic === topics.config).length >= 2);
    await sub.endAsync();

    const states = got.filter((g) => g.topic === topics.state).map((g) => g.body);
    assert.deepEqual(states, ['started', 'answered', 'ended', '']);
    const attrs = got.filter((g) => g.topic === topics.attributes && g.body).map((g) => JSON.parse(g.body));
    assert.equal(attrs.at(-1).last_tool, 'home_get_state');
    assert.equal(attrs.at(-1).outcome, 'completed');
    assert.equal(got.filter((g) => g.topic === topics.config).at(-1)?.body, '', 'the sensor is removed');
    await discovery.stop();
  });

  test('a call the platform publishes end to end goes through the same sensor lifecycle', async () => {
    const prefix = `ha-test-${randomUUID().slice(0, 8)}`;
    const bus = new CallEventBus();
    const discovery = new HaDiscovery({ bus, mqtt: publisher, logger: silentLogger(), prefix });
    discovery.start();
    const sub = await mqtt.connectAsync(testMqttUrl()!, { clean: true });
    const configs: string[] = [];
    sub.on('message', (topic, payload) => {
      if (topic.endsWith('/config')) configs.push(String(payload));
    });
    await sub.subscribeAsync(`${prefix}/sensor/#`, { qos: 1 });
    publishCall(bus, { workspaceId: randomUUID(), agentId: randomUUID() });
    await discovery.flush();
    await waitFor(() => configs.length >= 2);
    await sub.endAsync();
    assert.ok(configs[0]!.startsWith('{'));
    assert.equal(configs.at(-1), '');
    await discovery.stop();
  });
});

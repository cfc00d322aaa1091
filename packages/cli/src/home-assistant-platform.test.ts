import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { mqttSkip, testMqttUrl } from '@switchboard/events/testing';
import { FakeHome } from '@switchboard/integrations/testing';
import mqtt from 'mqtt';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

interface ChatMessage {
  role: string;
  content?: string | null;
  tool_calls?: { function: { name: string; arguments: string } }[];
}

/**
 * A Chat Completions server (protocols.md §7.3) playing a model that uses the home tools: asked
 * about the garage it calls home_get_state, asked to turn off the kitchen lights or unlock the
 * front door it calls home_call_service (again with confirmed true once the caller says yes), and
 * after a tool result it says what the result holds. Streams as the real service does.
 */
function fakeModel(): Promise<{
  url: string;
  requests: { tools: { function: { name: string } }[] }[];
  close(): void;
}> {
  const requests: { tools: { function: { name: string } }[] }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += String(c);
    });
    req.on('end', () => {
      const parsed = JSON.parse(body) as { messages: ChatMessage[]; tools: { function: { name: string } }[] };
      requests.push(parsed);
      const messages = parsed.messages;
      const last = messages[messages.length - 1]!;
      const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null = null) =>
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
        );
      const toolCall = (name: string, args: unknown) => {
        chunk({
          role: 'assistant',
          tool_calls: [
            {
              index: 0,
              id: `call_${requests.length}`,
              type: 'function',
              function: { name, arguments: JSON.stringify(args) },
            },
          ],
        });
        chunk({}, 'tool_calls');
      };
      if (last.role === 'tool') {
        chunk({ role: 'assistant', content: `Result: ${last.content}` });
        chunk({}, 'stop');
      } else if (/garage/i.test(lastUser)) {
        toolCall('home_get_state', { entity: 'garage door' });
      } else if (/kitchen/i.test(lastUser)) {
        toolCall('home_call_service', { entity: 'kitchen lights', service: 'turn_off' });
      } else if (/unlock/i.test(lastUser)) {
        toolCall('home_call_service', { entity: 'lock.front_door', service: 'unlock' });
      } else if (/^yes/i.test(lastUser)) {
        toolCall('home_call_service', { entity: 'lock.front_door', service: 'unlock', confirmed: true });
      } else {
        chunk({ role: 'assistant', content: 'How can I help?' });
        chunk({}, 'stop');
      }
      res.end('data: [DONE]\n\n');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        requests,
        close: () => server.close(),
      }),
    ),
  );
}

// The house through the whole platform: an admin connects the workspace's Home Assistant (a fake
// one over a real socket), the platform syncs it, and an agent with the home tools answers typed
// turns by reading state and calling services that reach Home Assistant.
describe('Home Assistant through the platform', () => {
  let t: TestPlatform;
  let home: FakeHome;
  let model: Awaited<ReturnType<typeof fakeModel>>;
  let admin: Record<string, string>;
  let agentId: string;

  before(async () => {
    home = await FakeHome.start();
    model = await fakeModel();
    t = await startTestPlatform({}, { logLevel: 'warn' });
    const { store } = t.platform;
    const key = await store.apiKeys.create(t.workspaceId, { name: 'owner', role: 'admin' });
    admin = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
    const llm = await store.providers.create(t.workspaceId, {
      name: 'House model',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl: model.url, model: 'gpt-4o-mini' },
    });
    const agent = await store.agents.create(t.workspaceId, {
      name: 'House assistant',
      publish: true,
      config: {
        providers: { asr: ['local:soundswallower'], llm: [llm.id], tts: ['local:espeak'] },
        home: { enabled: true, domains: ['cover', 'light'], entities: ['lock.front_door'] },
      },
    });
    agentId = agent.id;
  });
  after(async () => {
    await t?.close();
    await home?.close();
    model?.close();
  });

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${t.appUrl}${path}`, {
      method,
      headers: admin,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });

  test('connect, sync, then the agent reads the garage and turns off the kitchen lights', async () => {
    const saved = await api('PUT', '/v1/home-assistant', { url: home.url, token: home.token });
    assert.equal(saved.status, 200, await saved.clone().text());
    await waitFor('the sync', async () => {
      const r = (await (await api('GET', '/v1/home-assistant')).json()) as {
        status: string;
        counts: { entities: number };
      };
      return r.status === 'connected' && r.counts.entities === 5;
    });

    const first = await api('POST', `/v1/agents/${agentId}/test-chat`, { message: 'Is the garage open?' });
    assert.equal(first.status, 200, await first.clone().text());
    const a = (await first.json()) as {
      sessionId: string;
      reply: string;
      toolCalls: { name: string; ok: boolean; result: { state: string } }[];
    };
    assert.deepEqual(
      a.toolCalls.map((c) => [c.name, c.ok, c.result.state]),
      [['home_get_state', true, 'closed']],
    );
    assert.match(a.reply, /"state":"closed"/);
    const offered = model.requests[0]!.tools.map((x) => x.function.name).sort();
    assert.deepEqual(offered, ['home_call_service', 'home_get_state', 'home_list']);

    const second = await api('POST', `/v1/agents/${agentId}/test-chat`, {
      sessionId: a.sessionId,
      message: 'Turn off the kitchen lights',
    });
    const b = (await second.json()) as { toolCalls: { name: string; ok: boolean }[] };
    assert.deepEqual(
      b.toolCalls.map((c) => [c.name, c.ok]),
      [['home_call_service', true]],
    );
    assert.deepEqual(home.serviceCalls.at(-1), {
      via: 'websocket',
      domain: 'light',
      service: 'turn_off',
      data: {},
      target: { entity_id: 'light.kitchen' },
    });
    // The change comes back over the subscription and is stored with its history.
    await waitFor(
      'the new state',
      async () => (await t.platform.store.home.entity(t.workspaceId, 'light.kitchen'))?.state === 'off',
    );
  });

  test('unlocking waits for the spoken yes', async () => {
    const calls = home.serviceCalls.length;
    const ask = await api('POST', `/v1/agents/${agentId}/test-chat`, { message: 'Unlock the front door' });
    const a = (await ask.json()) as {
      sessionId: string;
      toolCalls: { result: { needs_confirmation?: boolean } }[];
    };
    assert.equal(a.toolCalls[0]?.result.needs_confirmation, true);
    assert.equal(home.serviceCalls.length, calls, 'nothing ran yet');
    assert.equal(home.state('lock.front_door')?.state, 'locked');

    const yes = await api('POST', `/v1/agents/${agentId}/test-chat`, {
      sessionId: a.sessionId,
      message: 'yes please',
    });
    const b = (await yes.json()) as { toolCalls: { ok: boolean; result: { done?: boolean } }[] };
    assert.equal(b.toolCalls[0]?.result.done, true);
    assert.equal(home.state('lock.front_door')?.state, 'unlocked');
  });
});

// DEMO_HOME: the platform starts its own fake house and attaches the first workspace to it, even
// with the outbound policy closed to loopback.
describe('the demo house', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform({ DEMO_HOME: 'true', OUTBOUND_ALLOWED_HOSTS: '' }, { logLevel: 'warn' });
  });
  after(async () => {
    await t?.close();
  });

  test('the first workspace is connected to the demo house and readiness reports it', async () => {
    const { store } = t.platform;
    const connection = await waitFor('the demo house to sync', async () => {
      const c = await store.home.connection(t.workspaceId);
      return c?.status === 'connected' ? c : undefined;
    });
    assert.match(connection.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await store.home.entity(t.workspaceId, 'cover.garage_door'))?.state, 'closed');
    const ready = await fetch(`${t.appUrl}/health/ready`);
    const body = (await ready.json()) as { status: string; checks: { name: string; state: string }[] };
    assert.equal(body.status, 'ready');
    assert.deepEqual(
      body.checks.find((c) => c.name === 'home-assistant'),
      { name: 'home-assistant', state: 'up' },
    );
  });
});

// MQTT discovery through the platform: a phone call on the scripted carrier shows up in Home
// Assistant's discovery topics on a real broker while it runs, and is removed when it ends.
describe('live calls announced to Home Assistant over MQTT', { skip: mqttSkip() }, () => {
  const ACCOUNT = 'AC66666666666666666666666666666666';
  const TOKEN = 'twilio-auth-token-for-tests-0066';
  const NUMBER = '+15559870066';
  const prefix = `ha-platform-${Date.now().toString(36)}`;
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform(
      { MQTT_URL: testMqttUrl()!, MQTT_HA_DISCOVERY: 'true', MQTT_HA_DISCOVERY_PREFIX: prefix },
      { logLevel: 'warn' },
    );
    const { store } = t.platform;
    await store.credentials.create(t.workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await store.phoneNumbers.create(t.workspaceId, {
      number: NUMBER,
      connector: 'twilio',
      agentId: t.demoAgentId,
    });
  });
  after(async () => {
    await t?.close();
  });

  test('the call appears as a sensor, answered, and is removed when it ends', async () => {
    const sub = await mqtt.connectAsync(testMqttUrl()!, { clean: true });
    const got: { topic: string; body: string }[] = [];
    sub.on('message', (topic, payload) => got.push({ topic, body: String(payload) }));
    await sub.subscribeAsync([`${prefix}/#`, `switchboard/${t.workspaceId}/calls/+/state`], { qos: 1 });

    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const sid = 'CA66666666666666666666666666666666';
    const answer = await twilio.voice({ To: NUMBER, CallSid: sid });
    assert.ok(answer.streamUrl, answer.body);
    const stream = await twilio.stream(answer, sid);
    stream.begin();
    await feedSilenceUntil(stream, 25, 10_000);
    const config = await waitFor('the sensor config', () =>
      got.find((g) => g.topic.endsWith('/config') && g.body),
    );
    const parsed = JSON.parse(config.body) as { state_topic: string; device: { name: string } };
    assert.equal(parsed.device.name, 'Switchboard');
    assert.match(
      config.topic,
      new RegExp(`^${prefix}/sensor/switchboard_[0-9a-f]{32}/call_[0-9a-f]{32}/config$`),
    );
    await waitFor('answered', () => got.some((g) => g.topic === parsed.state_topic && g.body === 'answered'));
    stream.sendStop();
    await waitFor('the sensor removed', () => got.some((g) => g.topic === config.topic && g.body === ''));
    const states = got.filter((g) => g.topic === parsed.state_topic).map((g) => g.body);
    assert.deepEqual(states.slice(-2), ['ended', '']);
    await sub.endAsync();
  });
});

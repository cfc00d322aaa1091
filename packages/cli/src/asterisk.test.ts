import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type CallEvent, type CallEventOf, loadConfig, silentLogger } from '@switchboard/core';
import { FakeAsr, FakeLlm, FakeProviderFactory, FakeTts } from '@switchboard/engine';
import { initMedia } from '@switchboard/media';
import { createTestApp, type TestApp } from '@switchboard/server/testing';
import { ScriptedAudioSocket } from '@switchboard/telephony';
import Fastify, { type FastifyInstance } from 'fastify';
import { type RunningAsterisk, startAsterisk } from './asterisk.js';

const TOKEN = 'hook-token-0123456789';
let t: TestApp;
let asterisk: RunningAsterisk;
let hook: FastifyInstance;
const agents: Record<'fallback' | 'named' | 'numbered', string> = { fallback: '', named: '', numbered: '' };
const events: CallEvent[] = [];

before(async () => {
  await initMedia();
  t = await createTestApp({
    providers: new FakeProviderFactory({
      asr: { 'local:soundswallower': new FakeAsr() },
      llm: { 'local:answerer': new FakeLlm({ replies: () => 'Hello.' }) },
      tts: { 'local:espeak': new FakeTts() },
    }),
  });
  t.bus.subscribe((e) => {
    events.push(e);
  });
  for (const name of ['fallback', 'named', 'numbered'] as const) {
    const a = await t.store.agents.create(t.workspaceId, {
      name,
      publish: true,
      defaultInbound: name === 'fallback',
      config: { systemPrompt: `I am ${name}` },
    });
    agents[name] = a.id;
  }
  await t.store.phoneNumbers.create(t.workspaceId, {
    number: '+15559870002',
    connector: 'asterisk',
    agentId: agents.numbered,
  });
  const config = loadConfig({
    NODE_ENV: 'test',
    AUDIOSOCKET_ENABLED: 'true',
    AUDIOSOCKET_PORT: '0',
    AUDIOSOCKET_HOOK_TOKEN: TOKEN,
  });
  asterisk = await startAsterisk({ config, store: t.store, runner: t.runner, logger: silentLogger() });
  hook = Fastify();
  await hook.register(asterisk.plugin);
  await hook.ready();
});

after(async () => {
  await asterisk.stop();
  await hook.close();
  await t.close();
});

const claimed = new Set<string>();

/** The next call.started not yet claimed (calls in these tests run one at a time). */
function nextStarted(): Promise<CallEventOf<'call.started'>> {
  return new Promise((resolve) => {
    const check = () => {
      const e = events.find(
        (x): x is CallEventOf<'call.started'> => x.type === 'call.started' && !claimed.has(x.callId),
      );
      if (!e) return void setTimeout(check, 10);
      claimed.add(e.callId);
      resolve(e);
    };
    check();
  });
}

async function call(uuid: string): Promise<{ ast: ScriptedAudioSocket; ev: CallEventOf<'call.started'> }> {
  const ast = await ScriptedAudioSocket.connect(asterisk.audioSocket?.address.port ?? 0);
  ast.uuid(uuid);
  ast.audio(Buffer.alloc(320));
  return { ast, ev: await nextStarted() };
}

const announce = (uuid: string, payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
  hook.inject({ method: 'POST', url: '/call', payload: { uuid, payload }, headers });

test('POST /call needs the shared token', async () => {
  const uuid = 'aaaaaaaa-0000-4000-8000-000000000001';
  assert.equal((await announce(uuid, {})).statusCode, 401);
  assert.equal(
    (await announce(uuid, {}, { authorization: 'Bearer wrong-token-0000000000' })).statusCode,
    401,
  );
  const bad = await hook.inject({
    method: 'POST',
    url: `/call?token=${TOKEN}`,
    payload: { uuid: 'not-a-uuid' },
  });
  assert.equal(bad.statusCode, 400);
});

test('the pre-call hook picks the agent named by the dialplan', async () => {
  const uuid = 'aaaaaaaa-0000-4000-8000-000000000002';
  const res = await announce(
    uuid,
    { agent_id: agents.named, from: '+15551230001', to: '+15559870002', ticket: 42 },
    { 'x-switchboard-token': TOKEN },
  );
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { uuid, override: true });
  const { ast, ev } = await call(uuid);
  assert.equal(ev.data.agentId, agents.named, 'the named agent wins over the number');
  assert.equal(ev.data.connector, 'asterisk');
  assert.equal(ev.data.from, '+15551230001');
  ast.hangup();
  await ast.closed;
});

test('without an agent, the called number on the asterisk connector decides', async () => {
  const uuid = 'aaaaaaaa-0000-4000-8000-000000000003';
  const res = await hook.inject({
    method: 'POST',
    url: `/call?token=${TOKEN}`,
    payload: { uuid: uuid.replace(/-/g, ''), payload: { exten: '15559870002' } },
  });
  assert.equal(res.statusCode, 200);
  const { ast, ev } = await call(uuid);
  assert.equal(ev.data.agentId, agents.numbered);
  ast.hangup();
  await ast.closed;
});

test('an unannounced call goes to the default inbound agent', async () => {
  const { ast, ev } = await call('aaaaaaaa-0000-4000-8000-000000000004');
  assert.equal(ev.data.agentId, agents.fallback);
  ast.dtmf('7');
  setTimeout(
    () => console.error(JSON.stringify(events.map((e) => [e.type, e.callId, e.data]))),
    3000,
  ).unref();
  await new Promise<void>((resolve) => {
    const check = () =>
      events.some((e) => e.type === 'dtmf.received' && e.callId === ev.callId && e.data.digit === '7')
        ? resolve()
        : setTimeout(check, 10);
    check();
  });
  ast.hangup();
  await ast.closed;
});

test('readiness reports the AudioSocket listener and ARI as disabled', () => {
  const states = asterisk.health.map((h) => h());
  assert.deepEqual(
    states.map((s) => [s.name, s.state]),
    [
      ['audiosocket', 'up'],
      ['asterisk ari', 'disabled'],
    ],
  );
});

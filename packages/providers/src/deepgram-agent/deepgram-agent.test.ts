import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { ProviderError } from '@switchboard/engine';
import { FakeClock, MULAW_8K } from '@switchboard/media';
import { type FakePeer, FakeWsServer, type FakeWsServerOptions, loadFixture } from '../ws/fake-ws-server.js';
import { audioBytes, quietLogger, readUntil, stsOptions, until } from '../ws/sts-test-kit.js';
import { DeepgramAgent, type DeepgramAgentOptions } from './deepgram-agent.js';

type Ev = Record<string, unknown>;
const V = 'deepgram-agent';
const handshake = loadFixture<{ welcome: Ev; settingsApplied: Ev; expectedSettings: Ev }>(V, 'handshake');
const servers: FakeWsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function agentServer(opts: FakeWsServerOptions & { silent?: boolean } = {}): Promise<FakeWsServer> {
  const server = await FakeWsServer.start({
    ...opts,
    onConnection: (peer) => {
      if (opts.silent) return;
      peer.send(handshake.welcome);
      peer.socket.on('message', (data: Buffer, binary: boolean) => {
        if (!binary && JSON.parse(data.toString()).type === 'Settings') peer.send(handshake.settingsApplied);
      });
    },
  });
  servers.push(server);
  return server;
}

const adapter = (server: FakeWsServer, over: Partial<DeepgramAgentOptions> = {}) =>
  new DeepgramAgent({
    apiKey: 'dg-test',
    logger: quietLogger,
    baseUrl: `${server.url}/v1/agent/converse`,
    ...over,
  });

test('deepgram agent: Settings sent, binary audio both ways, transcripts of both sides', async () => {
  const server = await agentServer();
  const sts = adapter(server);
  const session = await sts.connect(stsOptions());
  const peer = server.peer as FakePeer;
  assert.equal(peer.headers.authorization, 'Token dg-test');
  assert.deepEqual(peer.messages('Settings'), [handshake.expectedSettings]);
  const caller = [Buffer.alloc(160, 0x11), Buffer.alloc(160, 0x22)];
  for (const data of caller) session.push({ format: MULAW_8K, data });
  await peer.until(() => peer.binary().length === 2);
  assert.deepEqual(peer.binary(), caller, 'raw μ-law, no base64, no header');

  const turn = loadFixture<{ before: Ev[]; after: Ev[] }>(V, 'normal-turn');
  for (const m of turn.before) peer.send(m);
  peer.sendBinary(Buffer.alloc(160, 0x55));
  peer.sendBinary(Buffer.alloc(160, 0x2a));
  for (const m of turn.after) peer.send(m);
  const events = await readUntil(session.events[Symbol.asyncIterator](), (e) => e.type === 'response-done');
  assert.deepEqual(
    events.filter((e) => e.type !== 'audio'),
    [
      { type: 'speech-start' },
      { type: 'transcript', role: 'caller', text: 'What time do you open?', final: true },
      { type: 'response-start' },
      { type: 'transcript', role: 'agent', text: 'We open at nine.', final: true },
      { type: 'response-done' },
    ],
  );
  assert.deepEqual(audioBytes(events), Buffer.concat([Buffer.alloc(160, 0x55), Buffer.alloc(160, 0x2a)]));
  assert.equal(typeof sts.marks['first-audio'], 'number');
  await session.close();
});

test('deepgram agent: barge-in drops the rest of the cut response, the next one plays', async () => {
  const server = await agentServer();
  const session = await adapter(server).connect(stsOptions());
  const peer = server.peer as FakePeer;
  const it = session.events[Symbol.asyncIterator]();
  peer.send({ type: 'AgentStartedSpeaking' });
  peer.sendBinary(Buffer.alloc(160, 1));
  peer.send({ type: 'UserStartedSpeaking' });
  await readUntil(it, (e) => e.type === 'speech-start');
  session.interrupt(20);
  peer.sendBinary(Buffer.alloc(160, 2));
  peer.send({ type: 'AgentAudioDone' });
  peer.send({ type: 'AgentStartedSpeaking' });
  peer.sendBinary(Buffer.alloc(160, 3));
  peer.send({ type: 'AgentAudioDone' });
  const rest = await readUntil(it, (e) => e.type === 'audio');
  assert.deepEqual(
    rest.map((e) => e.type),
    ['response-done', 'response-start', 'audio'],
  );
  assert.deepEqual(audioBytes(rest), Buffer.alloc(160, 3));
  await session.close();
});

test('deepgram agent: client-side function call answered with FunctionCallResponse', async () => {
  const fx = loadFixture<{ request: Ev; expectedResponse: Ev }>(V, 'tool-call');
  const server = await agentServer();
  const session = await adapter(server).connect(stsOptions());
  const peer = server.peer as FakePeer;
  peer.send(fx.request);
  const [ev] = await readUntil(session.events[Symbol.asyncIterator](), (e) => e.type === 'tool-call');
  assert.deepEqual(ev, {
    type: 'tool-call',
    call: { id: 'fc_1', name: 'book_appointment', arguments: '{"date":"2025-01-02"}' },
  });
  session.sendToolResult('fc_1', '{"booked":true}');
  await peer.until(() => peer.messages('FunctionCallResponse').length === 1);
  assert.deepEqual(peer.messages('FunctionCallResponse'), [fx.expectedResponse]);
  await session.close();
});

test('deepgram agent: a keypad entry is injected as a user message', async () => {
  const server = await agentServer();
  const session = await adapter(server).connect(stsOptions());
  const peer = server.peer as FakePeer;
  session.sendText?.('Caller pressed keypad keys: 1');
  await peer.until(() => peer.messages('InjectUserMessage').length === 1);
  assert.deepEqual(peer.messages('InjectUserMessage'), [
    { type: 'InjectUserMessage', content: 'Caller pressed keypad keys: 1' },
  ]);
  await session.close();
});

test('deepgram agent: say() injects an agent message; KeepAlive only while no audio goes out', async () => {
  const clock = new FakeClock();
  const server = await agentServer();
  const session = await adapter(server, { clock, keepAliveMs: 5000 }).connect(stsOptions());
  const peer = server.peer as FakePeer;
  session.say('Hi, this is Acme Dental.');
  await peer.until(() => peer.messages('InjectAgentMessage').length === 1);
  assert.deepEqual(peer.messages('InjectAgentMessage'), [
    { type: 'InjectAgentMessage', message: 'Hi, this is Acme Dental.' },
  ]);
  clock.advance(5000);
  await peer.until(() => peer.messages('KeepAlive').length === 1);
  session.push({ format: MULAW_8K, data: Buffer.alloc(160) });
  clock.advance(5000);
  clock.advance(5000);
  await peer.until(() => peer.messages('KeepAlive').length === 2);
  await session.close();
  assert.equal(clock.pending, 0, 'keepalive timer stopped');
});

test('deepgram agent: 401 at connect is an auth error, tried once', async () => {
  const errors = loadFixture<{ unauthorizedBody: Ev }>(V, 'errors');
  const server = await agentServer({ refuse: [401], refuseBody: JSON.stringify(errors.unauthorizedBody) });
  await assert.rejects(
    adapter(server, { retry: { maxRetries: 3, baseDelayMs: 1 } }).connect(stsOptions()),
    (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /HTTP 401: the service rejected the credential$/);
      assert.doesNotMatch(e.message, /Invalid credentials/);
      return true;
    },
  );
  assert.equal(server.attempts.length, 1);
});

test('deepgram agent: 503 at connect is retried, then connects', async () => {
  const server = await agentServer({ refuse: [503] });
  const session = await adapter(server, { retry: { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20 } }).connect(
    stsOptions(),
  );
  assert.equal(server.attempts.length, 2);
  await session.close();
});

test('deepgram agent: socket drop and Error messages fail the events stream', async () => {
  const server = await agentServer();
  const a = await adapter(server).connect(stsOptions());
  server.peer?.drop();
  await assert.rejects(
    readUntil(a.events[Symbol.asyncIterator](), () => false),
    (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
  );
  await a.close();
  const errors = loadFixture<{ warning: Ev; error: Ev }>(V, 'errors');
  const b = await adapter(server).connect(stsOptions());
  server.peer?.send(errors.warning);
  server.peer?.send(errors.error);
  await assert.rejects(
    readUntil(b.events[Symbol.asyncIterator](), () => false),
    (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.match(e.message, /Failed to think \(FAILED_TO_THINK\)/);
      return true;
    },
  );
  await b.close();
});

test('deepgram agent: no Welcome in time is a timeout', async () => {
  const server = await agentServer({ silent: true });
  await assert.rejects(
    adapter(server, { connectTimeoutMs: 200, retry: { maxRetries: 0 } }).connect(stsOptions()),
    (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
  );
  const peer = server.peer as FakePeer;
  await until(() => peer.socket.readyState === peer.socket.CLOSED);
});

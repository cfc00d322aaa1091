import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { ProviderError } from '@switchboard/engine';
import { FakeClock, PCM16_8K } from '@switchboard/media';
import { type FakePeer, FakeWsServer, type FakeWsServerOptions, loadFixture } from '../ws/fake-ws-server.js';
import { audioBytes, quietLogger, readUntil, stsOptions } from '../ws/sts-test-kit.js';
import { AvrSts, type AvrStsOptions } from './avr-sts.js';

type Ev = Record<string, unknown>;
const fx = loadFixture<{ expectedInit: Ev; reply: Ev[]; interruption: Ev; error: Ev }>(
  'avr-sts',
  'normal-call',
);
const servers: FakeWsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function connector(opts: FakeWsServerOptions = {}): Promise<FakeWsServer> {
  const server = await FakeWsServer.start(opts);
  servers.push(server);
  return server;
}
const adapter = (server: FakeWsServer, over: Partial<AvrStsOptions> = {}) =>
  new AvrSts({ url: `${server.url}/?from=%2B15550100`, callId: 'call-123', logger: quietLogger, ...over });
const audioMsg = (v: number) => ({ type: 'audio', audio: Buffer.alloc(320, v).toString('base64') });

test('avr sts: init first, caller audio as base64 PCM, agent audio and transcripts back', async () => {
  const clock = new FakeClock();
  const server = await connector();
  const session = await adapter(server, { clock }).connect(stsOptions({ format: PCM16_8K }));
  const peer = server.peer as FakePeer;
  assert.equal(peer.url, '/?from=%2B15550100');
  await peer.until(() => peer.received.length >= 1);
  assert.deepEqual(peer.received[0], { kind: 'json', msg: fx.expectedInit });
  const caller = Buffer.alloc(320, 7);
  session.push({ format: PCM16_8K, data: caller });
  session.push({ format: PCM16_8K, data: caller });
  await peer.until(() => peer.messages('audio').length === 2);
  assert.deepEqual(Buffer.from(String(peer.messages('audio')[0]?.audio), 'base64'), caller);
  for (const m of fx.reply) peer.send(m);
  const it = session.events[Symbol.asyncIterator]();
  const events = await readUntil(it, (e) => e.type === 'transcript' && e.role === 'agent');
  assert.deepEqual(
    events.filter((e) => e.type !== 'audio'),
    [
      { type: 'transcript', role: 'caller', text: 'What time do you open?', final: true },
      { type: 'response-start' },
      { type: 'transcript', role: 'agent', text: 'We open at nine.', final: true },
    ],
  );
  assert.equal(audioBytes(events).length, 640);
  clock.advance(500);
  assert.deepEqual(
    await readUntil(it, () => true),
    [{ type: 'response-done' }],
    'a quiet spell ends the response',
  );
  await session.close();
});

test('avr sts: a response lasts while audio keeps coming and ends a quiet gap after its last frame', async () => {
  const clock = new FakeClock();
  const server = await connector();
  const session = await adapter(server, { clock }).connect(stsOptions({ format: PCM16_8K }));
  const peer = server.peer as FakePeer;
  const it = session.events[Symbol.asyncIterator]();
  const marker = { type: 'transcript', role: 'user', text: 'still here' };
  peer.send(audioMsg(1));
  await readUntil(it, (e) => e.type === 'audio');
  for (let i = 0; i < 3; i++) {
    clock.advance(300);
    peer.send(audioMsg(2));
    peer.send(marker);
    const seen = await readUntil(it, (e) => e.type === 'transcript');
    assert.deepEqual(
      seen.map((e) => e.type),
      ['audio', 'transcript'],
      `no response-done ${300 * (i + 1)} ms in, 300 ms after the previous frame`,
    );
  }
  clock.advance(499);
  peer.send(marker);
  assert.deepEqual(
    (await readUntil(it, (e) => e.type === 'transcript')).map((e) => e.type),
    ['transcript'],
  );
  clock.advance(1);
  assert.deepEqual(
    await readUntil(it, () => true),
    [{ type: 'response-done' }],
    '500 ms after the last frame',
  );
  await session.close();
});

test('avr sts: agent audio in any valid JSON shape is heard (extra fields, escaped slashes, spacing)', async () => {
  const server = await connector();
  const session = await adapter(server).connect(stsOptions({ format: PCM16_8K }));
  const peer = server.peer as FakePeer;
  const it = session.events[Symbol.asyncIterator]();
  // 0xff 0xff 0xff… is "////…" in base64: the escaped form must decode to the same bytes.
  const bytes = Buffer.alloc(320, 0xff);
  const b64 = bytes.toString('base64');
  for (const text of [
    `{"type":"audio","audio":"${b64}"}`,
    `{"type":"audio","audio":"${b64.replaceAll('/', '\\/')}"}`,
    `{"type":"audio","audio":"${b64}","seq":7}`,
    `{ "audio": "${b64}", "type": "audio" }`,
  ]) {
    peer.socket.send(text);
    const [ev] = (await readUntil(it, (e) => e.type === 'audio')).filter((e) => e.type === 'audio');
    assert.deepEqual(ev?.type === 'audio' ? Buffer.from(ev.frame.data) : undefined, bytes, text.slice(0, 40));
  }
  await session.close();
});

test('avr sts: interruption is caller speech; audio of the cut response is dropped until a gap', async () => {
  const clock = new FakeClock();
  const server = await connector();
  const session = await adapter(server, { clock }).connect(stsOptions({ format: PCM16_8K }));
  const peer = server.peer as FakePeer;
  const it = session.events[Symbol.asyncIterator]();
  peer.send(audioMsg(1));
  peer.send(fx.interruption);
  const first = await readUntil(it, (e) => e.type === 'speech-start');
  assert.deepEqual(
    first.map((e) => e.type),
    ['response-start', 'audio', 'speech-start'],
  );
  session.interrupt(20);
  peer.send(audioMsg(2));
  peer.send({ type: 'transcript', role: 'user', text: 'wait' });
  await readUntil(it, (e) => e.type === 'transcript');
  clock.advance(500);
  peer.send(audioMsg(3));
  const next = await readUntil(it, (e) => e.type === 'audio');
  assert.deepEqual(
    next.map((e) => e.type),
    ['response-start', 'audio'],
  );
  assert.deepEqual(audioBytes(next), Buffer.alloc(320, 3));
  await session.close();
});

test('avr sts: a μ-law call is converted to the contract format and back', async () => {
  const { initMedia, MULAW_8K } = await import('@switchboard/media');
  await initMedia();
  const server = await connector();
  const session = await adapter(server).connect(stsOptions({ format: MULAW_8K }));
  const peer = server.peer as FakePeer;
  session.push({ format: MULAW_8K, data: Buffer.alloc(160, 0xff) });
  await peer.until(() => peer.messages('audio').length === 1);
  assert.equal(Buffer.from(String(peer.messages('audio')[0]?.audio), 'base64').length, 320);
  peer.send(audioMsg(0));
  const [, audio] = await readUntil(session.events[Symbol.asyncIterator](), (e) => e.type === 'audio');
  assert.ok(audio?.type === 'audio' && audio.frame.format === MULAW_8K && audio.frame.data.length === 160);
  await session.close();
});

test('avr sts: 401 at connect is an auth error, tried once; 502 is retried', async () => {
  const refused = await connector({ refuse: [401] });
  await assert.rejects(
    adapter(refused, { retry: { maxRetries: 3, baseDelayMs: 1 } }).connect(stsOptions({ format: PCM16_8K })),
    (e: unknown) => e instanceof ProviderError && e.kind === 'auth' && !e.retryable,
  );
  assert.equal(refused.attempts.length, 1);
  const flaky = await connector({ refuse: [502] });
  const s = await adapter(flaky, { retry: { maxRetries: 2, baseDelayMs: 5 } }).connect(
    stsOptions({ format: PCM16_8K }),
  );
  assert.equal(flaky.attempts.length, 2);
  await s.close();
});

test('avr sts: error message and socket drop fail the events stream', async () => {
  const server = await connector();
  const a = await adapter(server).connect(stsOptions({ format: PCM16_8K }));
  server.peer?.send(fx.error);
  await assert.rejects(
    readUntil(a.events[Symbol.asyncIterator](), () => false),
    (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.match(e.message, /OpenAI Realtime connection closed/);
      return true;
    },
  );
  await a.close();
  const b = await adapter(server).connect(stsOptions({ format: PCM16_8K }));
  server.peer?.drop();
  await assert.rejects(
    readUntil(b.events[Symbol.asyncIterator](), () => false),
    (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
  );
  await b.close();
});

test('avr sts: a connector slow to answer the upgrade times out', async () => {
  const server = await connector({ upgradeDelayMs: 3000 });
  await assert.rejects(
    adapter(server, { connectTimeoutMs: 200, retry: { maxRetries: 0 } }).connect(
      stsOptions({ format: PCM16_8K }),
    ),
    (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
  );
});

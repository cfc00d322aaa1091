import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { ProviderError, type StsEvent } from '@switchboard/engine';
import { initMedia, MULAW_8K } from '@switchboard/media';
import { type FakePeer, FakeWsServer, type FakeWsServerOptions, loadFixture } from '../ws/fake-ws-server.js';
import { audioBytes, quietLogger, readUntil, stsOptions, until } from '../ws/sts-test-kit.js';
import { OpenAiRealtime, type OpenAiRealtimeOptions } from './openai-realtime.js';

type Ev = Record<string, unknown>;
const V = 'openai-realtime';
const handshake = loadFixture<{ sessionCreated: Ev; sessionUpdated: Ev; expectedSessionUpdate: Ev }>(
  V,
  'handshake',
);
const servers: FakeWsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A Realtime stand-in: greets with `session.created`, acknowledges `session.update`. */
async function realtimeServer(opts: FakeWsServerOptions & { silent?: boolean } = {}): Promise<FakeWsServer> {
  const server = await FakeWsServer.start({
    ...opts,
    onConnection: (peer) => {
      if (opts.silent) return;
      peer.send(handshake.sessionCreated);
      peer.socket.on('message', (data: Buffer, binary: boolean) => {
        if (!binary && JSON.parse(data.toString()).type === 'session.update')
          peer.send(handshake.sessionUpdated);
      });
    },
  });
  servers.push(server);
  return server;
}

const adapter = (server: FakeWsServer, over: Partial<OpenAiRealtimeOptions> = {}) =>
  new OpenAiRealtime({
    apiKey: 'sk-test',
    logger: quietLogger,
    baseUrl: `${server.url}/v1/realtime`,
    ...over,
  });
const sendAll = (peer: FakePeer, events: unknown[]) => {
  for (const e of events) peer.send(e);
};

test('openai realtime: session configured, μ-law appended untouched, audio and both transcripts back', async () => {
  const server = await realtimeServer();
  const sts = adapter(server);
  const session = await sts.connect(stsOptions());
  const peer = server.peer as FakePeer;
  assert.equal(peer.headers.authorization, 'Bearer sk-test');
  assert.equal(peer.url, '/v1/realtime?model=gpt-realtime');
  assert.deepEqual(peer.messages('session.update'), [handshake.expectedSessionUpdate]);
  const caller = [Buffer.alloc(160, 0x11), Buffer.alloc(160, 0x22)];
  for (const data of caller) session.push({ format: MULAW_8K, data });
  await peer.until(() => peer.messages('input_audio_buffer.append').length === 2);
  const appended = peer
    .messages('input_audio_buffer.append')
    .map((m) => Buffer.from(String(m.audio), 'base64'));
  assert.deepEqual(appended, caller);

  const turn = loadFixture<{ events: Ev[] }>(V, 'normal-turn');
  sendAll(peer, turn.events);
  const it = session.events[Symbol.asyncIterator]();
  const events = await readUntil(it, (e) => e.type === 'response-done');
  assert.deepEqual(
    events.filter((e) => e.type !== 'audio'),
    [
      { type: 'speech-start' },
      { type: 'speech-end' },
      { type: 'response-start' },
      { type: 'transcript', role: 'caller', text: 'What time do ', final: false },
      { type: 'transcript', role: 'agent', text: 'We open ', final: false },
      { type: 'transcript', role: 'caller', text: 'What time do you open?', final: true },
      { type: 'transcript', role: 'agent', text: 'at nine.', final: false },
      { type: 'transcript', role: 'agent', text: 'We open at nine.', final: true },
      { type: 'response-done' },
    ],
  );
  assert.deepEqual(audioBytes(events), Buffer.concat([Buffer.alloc(160, 0x55), Buffer.alloc(160, 0x2a)]));
  assert.ok(events.every((e) => e.type !== 'audio' || e.frame.format === MULAW_8K));
  assert.equal(typeof sts.marks.connect, 'number');
  assert.equal(typeof sts.marks['first-audio'], 'number');
  await session.close();
  await until(() => peer.socket.readyState === peer.socket.CLOSED);
});

test('openai realtime: beta event names and session shape are understood', async () => {
  const server = await realtimeServer();
  const session = await adapter(server, { api: 'beta' }).connect(stsOptions());
  const peer = server.peer as FakePeer;
  assert.equal(peer.headers['openai-beta'], 'realtime=v1');
  const update = peer.messages('session.update')[0]?.session as Ev;
  assert.equal(update.input_audio_format, 'g711_ulaw');
  assert.equal(update.output_audio_format, 'g711_ulaw');
  assert.deepEqual(update.turn_detection, {
    type: 'server_vad',
    threshold: 0.5,
    prefix_padding_ms: 300,
    silence_duration_ms: 500,
    create_response: true,
    interrupt_response: true,
  });
  sendAll(peer, loadFixture<{ events: Ev[] }>(V, 'beta-turn').events);
  const events = await readUntil(session.events[Symbol.asyncIterator](), (e) => e.type === 'response-done');
  assert.equal(audioBytes(events).length, 160);
  const finals = events.flatMap((e) => (e.type === 'transcript' && e.final ? [[e.role, e.text]] : []));
  assert.deepEqual(finals, [
    ['agent', 'Hello there.'],
    ['caller', 'Hi'],
  ]);
  await session.close();
});

test('openai realtime: semantic VAD from settings; PCM 24 kHz for a linear call', async () => {
  await initMedia();
  const server = await realtimeServer();
  const session = await adapter(server, { vad: 'semantic_vad', eagerness: 'high' }).connect(
    stsOptions({ format: { encoding: 'pcm16', sampleRate: 16000 }, tools: [] }),
  );
  const s = server.peer?.messages('session.update')[0]?.session as {
    audio: { input: Ev; output: Ev };
    tools?: unknown;
  };
  assert.deepEqual(s.audio.input.turn_detection, {
    type: 'semantic_vad',
    eagerness: 'high',
    create_response: true,
    interrupt_response: true,
  });
  assert.deepEqual(s.audio.input.format, { type: 'audio/pcm', rate: 24000 });
  assert.equal(s.tools, undefined);
  await session.close();
});

test('openai realtime: barge-in cancels and truncates the playing item at what was heard', async () => {
  const fx = loadFixture<{
    speaking: Ev[];
    late: Ev[];
    heardMs: number;
    expectedTruncate: Ev;
    expectedCancel: Ev;
  }>(V, 'barge-in');
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  const peer = server.peer as FakePeer;
  const it = session.events[Symbol.asyncIterator]();
  sendAll(peer, fx.speaking);
  const before = await readUntil(it, (e) => e.type === 'speech-start');
  assert.equal(audioBytes(before).length, 5 * 160);
  session.interrupt(fx.heardMs);
  await peer.until(() => peer.messages('conversation.item.truncate').length === 1);
  assert.deepEqual(peer.messages('response.cancel'), [fx.expectedCancel]);
  assert.deepEqual(peer.messages('conversation.item.truncate'), [fx.expectedTruncate]);
  sendAll(peer, fx.late);
  const after = await readUntil(it, (e) => e.type === 'response-done');
  assert.deepEqual(after, [{ type: 'response-done' }], 'audio of the cancelled response is dropped');
  await session.close();
});

test('openai realtime: truncate never points past the audio delivered', async () => {
  const fx = loadFixture<{ speaking: Ev[] }>(V, 'barge-in');
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  const peer = server.peer as FakePeer;
  sendAll(peer, fx.speaking);
  await readUntil(session.events[Symbol.asyncIterator](), (e) => e.type === 'speech-start');
  session.interrupt(5000);
  await peer.until(() => peer.messages('conversation.item.truncate').length === 1);
  assert.equal(peer.messages('conversation.item.truncate')[0]?.audio_end_ms, 100);
  await session.close();
});

test('openai realtime: a tool call round trip ends in one follow-up response', async () => {
  const fx = loadFixture<{ callResponse: Ev[]; expectedOutput: Ev; followUp: Ev[] }>(V, 'tool-call');
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  const peer = server.peer as FakePeer;
  const it = session.events[Symbol.asyncIterator]();
  sendAll(peer, fx.callResponse);
  const events = await readUntil(it, (e) => e.type === 'response-done');
  const calls = events.filter((e) => e.type === 'tool-call');
  assert.deepEqual(calls, [
    {
      type: 'tool-call',
      call: { id: 'call_8Xk2', name: 'book_appointment', arguments: '{"date":"2025-01-02"}' },
    },
  ]);
  session.sendToolResult('call_8Xk2', '{"booked":true,"time":"10:30"}');
  await peer.until(() => peer.messages('response.create').length === 1);
  assert.deepEqual(peer.messages('conversation.item.create'), [fx.expectedOutput]);
  sendAll(peer, fx.followUp);
  const reply = await readUntil(it, (e) => e.type === 'response-done');
  assert.equal(audioBytes(reply).length, 160);
  assert.ok(reply.some((e) => e.type === 'transcript' && e.final && e.text === "You're booked for 10:30."));
  await session.close();
});

test('openai realtime: say() asks for a verbatim response without tools', async () => {
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  session.say('Thanks for calling Acme Dental.');
  const peer = server.peer as FakePeer;
  await peer.until(() => peer.messages('response.create').length === 1);
  const r = peer.messages('response.create')[0]?.response as Ev;
  assert.match(String(r.instructions), /"Thanks for calling Acme Dental\."/);
  assert.equal(r.tool_choice, 'none');
  assert.deepEqual(r.output_modalities, ['audio']);
  await session.close();
});

test('openai realtime: a keypad entry goes in as a user text item, then a response', async () => {
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  session.sendText?.('Caller pressed keypad keys: 2#');
  const peer = server.peer as FakePeer;
  await peer.until(() => peer.messages('response.create').length === 1);
  assert.deepEqual(peer.messages('conversation.item.create'), [
    {
      type: 'conversation.item.create',
      item: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: 'Caller pressed keypad keys: 2#' }],
      },
    },
  ]);
  await session.close();
});

test('openai realtime: context from the API goes in as a system item, with no response asked for', async () => {
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  session.addContext?.('The caller is a premium customer.');
  session.sendText?.('Caller pressed keypad keys: 1');
  const peer = server.peer as FakePeer;
  await peer.until(() => peer.messages('conversation.item.create').length === 2);
  assert.deepEqual(peer.messages('conversation.item.create')[0], {
    type: 'conversation.item.create',
    item: {
      type: 'message',
      role: 'system',
      content: [{ type: 'input_text', text: 'The caller is a premium customer.' }],
    },
  });
  await peer.until(() => peer.messages('response.create').length === 1);
  assert.equal(peer.messages('response.create').length, 1, 'only the keypad entry asked for a response');
  await session.close();
});

test('openai realtime: 401 at connect is an auth error, tried exactly once', async () => {
  const errors = loadFixture<{ unauthorizedBody: Ev }>(V, 'errors');
  const server = await realtimeServer({ refuse: [401], refuseBody: JSON.stringify(errors.unauthorizedBody) });
  const sts = adapter(server, { retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5 } });
  await assert.rejects(sts.connect(stsOptions()), (e: unknown) => {
    assert.ok(e instanceof ProviderError);
    assert.equal(e.kind, 'auth');
    assert.equal(e.retryable, false);
    assert.match(e.message, /HTTP 401: the service rejected the credential$/);
    assert.doesNotMatch(e.message, /Incorrect API key/);
    return true;
  });
  assert.equal(server.attempts.length, 1);
});

test('openai realtime: 429 then 503 at connect are retried with backoff, then the call connects', async () => {
  const server = await realtimeServer({ refuse: [429, 503] });
  const sts = adapter(server, { retry: { maxRetries: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  const session = await sts.connect(stsOptions());
  assert.equal(server.attempts.length, 3);
  assert.equal(typeof sts.marks.retry, 'number');
  assert.equal(server.peers.length, 1);
  await session.close();
});

test('openai realtime: the socket dropping mid-call fails the events stream', async () => {
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  const it = session.events[Symbol.asyncIterator]();
  server.peer?.drop();
  await assert.rejects(
    readUntil(it, () => false),
    (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.kind, 'unavailable');
      assert.equal(e.retryable, true);
      return true;
    },
  );
  await session.close();
});

test('openai realtime: a server error event ends the session; a harmless one does not', async () => {
  const errors = loadFixture<{ harmless: Ev; fatal: Ev }>(V, 'errors');
  const server = await realtimeServer();
  const session = await adapter(server).connect(stsOptions());
  const it = session.events[Symbol.asyncIterator]();
  server.peer?.send(errors.harmless);
  server.peer?.send({ type: 'input_audio_buffer.speech_started', item_id: 'x' });
  assert.deepEqual(await readUntil(it, (e: StsEvent) => e.type === 'speech-start'), [
    { type: 'speech-start' },
  ]);
  server.peer?.send(errors.fatal);
  await assert.rejects(
    readUntil(it, () => false),
    (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
  );
  await session.close();
});

test('openai realtime: no session.created in time is a timeout and the socket is closed', async () => {
  const server = await realtimeServer({ silent: true });
  const sts = adapter(server, { connectTimeoutMs: 200, retry: { maxRetries: 0 } });
  await assert.rejects(
    sts.connect(stsOptions()),
    (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
  );
  const peer = server.peer as FakePeer;
  await until(() => peer.socket.readyState === peer.socket.CLOSED);
});

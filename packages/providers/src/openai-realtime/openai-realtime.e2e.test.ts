import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SessionHarness } from '@switchboard/engine';
import { MULAW_8K } from '@switchboard/media';
import { type FakePeer, FakeWsServer, loadFixture } from '../ws/fake-ws-server.js';
import { quietLogger } from '../ws/sts-test-kit.js';
import { OpenAiRealtime } from './openai-realtime.js';

type Ev = Record<string, unknown>;
const handshake = loadFixture<{ sessionCreated: Ev; sessionUpdated: Ev }>('openai-realtime', 'handshake');

test('engine call over the openai realtime adapter: μ-law relayed byte for byte both ways', async () => {
  const server = await FakeWsServer.start({
    onConnection: (peer) => {
      peer.send(handshake.sessionCreated);
      peer.socket.on('message', (data: Buffer) => {
        if (JSON.parse(data.toString()).type === 'session.update') peer.send(handshake.sessionUpdated);
      });
    },
  });
  after(() => server.close());
  const h = new SessionHarness({
    config: { mode: 'sts', providers: { sts: ['local:openai'] } },
    leg: { inputFormat: MULAW_8K, outputFormat: MULAW_8K },
    extra: (clock) => ({
      sts: {
        'local:openai': new OpenAiRealtime({
          apiKey: 'sk-test',
          logger: quietLogger,
          baseUrl: server.url,
          clock,
        }),
      },
    }),
  });
  await h.start();
  const peer = (await server.waitPeer()) as FakePeer;
  // Real-time waits let socket I/O land; fake time moves the session's player.
  const settle = async (cond: () => boolean) => {
    for (let i = 0; i < 500 && !cond(); i++) {
      await new Promise((r) => setTimeout(r, 5));
      await h.advance(20);
    }
    assert.ok(cond(), 'condition not reached');
  };

  const sent = Array.from({ length: 10 }, (_, i) => Buffer.alloc(160, 0x10 + i));
  for (const data of sent) h.leg.pushAudio({ format: MULAW_8K, data });
  const relayed = () =>
    Buffer.concat(
      peer.messages('input_audio_buffer.append').map((m) => Buffer.from(String(m.audio), 'base64')),
    );
  await settle(() => relayed().length >= 1600);
  assert.deepEqual(relayed(), Buffer.concat(sent), 'caller μ-law reaches the provider undecoded');

  const agent = Array.from({ length: 5 }, (_, i) => Buffer.alloc(160, 0x60 + i));
  peer.send({ type: 'response.created', response: { id: 'resp_1', status: 'in_progress' } });
  for (const a of agent) {
    peer.send({
      type: 'response.output_audio.delta',
      response_id: 'resp_1',
      item_id: 'item_1',
      output_index: 0,
      content_index: 0,
      delta: a.toString('base64'),
    });
  }
  peer.send({
    type: 'response.output_audio_transcript.done',
    response_id: 'resp_1',
    item_id: 'item_1',
    transcript: 'Hello.',
  });
  peer.send({ type: 'response.done', response: { id: 'resp_1', status: 'completed' } });
  const played = () => Buffer.concat(h.leg.played.map((f) => Buffer.from(f.data)));
  await settle(() => played().length >= 800);
  assert.deepEqual(played(), Buffer.concat(agent), 'provider μ-law reaches the leg untouched');
  assert.ok(h.leg.played.every((f) => f.format.encoding === 'mulaw'));
  await settle(() => h.of('transcript.final').length > 0);
  assert.deepEqual(
    h.of('transcript.final').map((e) => [e.data.role, e.data.text]),
    [['agent', 'Hello.']],
  );

  const r = await h.hangup();
  assert.deepEqual(r.providers, { sts: 'local:openai' });
  await settle(() => peer.socket.readyState === peer.socket.CLOSED);
});

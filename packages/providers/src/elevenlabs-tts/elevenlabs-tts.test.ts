import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ProviderError } from '@switchboard/engine';
import { type AudioFrame, MULAW_8K, PCM16_16K } from '@switchboard/media';
import type { WebSocket } from 'ws';
import { collect, type FakeWsServer, fakeWsServer, fixture, TEST_RETRY } from '../util/test-servers.js';
import { ElevenLabsTts } from './elevenlabs-tts.js';

const servers: FakeWsServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(...args: Parameters<typeof fakeWsServer>) {
  const s = await fakeWsServer(...args);
  servers.push(s);
  return s;
}

const reply = () => fixture('elevenlabs/stream-input-reply.jsonl').split('\n').filter(Boolean);
const tts = (url: string, extra: Partial<ConstructorParameters<typeof ElevenLabsTts>[0]> = {}) =>
  new ElevenLabsTts({
    apiKey: 'xi-key',
    voiceId: 'voice1',
    baseUrl: `${url}/v1`,
    retry: TEST_RETRY,
    ...extra,
  });

/** Records client messages; answers with the fixture once the input ends (`{"text":""}`). */
function speaker(received: Record<string, unknown>[], script = reply) {
  return (ws: WebSocket) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Record<string, unknown>;
      received.push(msg);
      if (msg.text === '') {
        for (const l of script()) ws.send(l);
        ws.close(1000);
      }
    });
  };
}

async function* deltas(...parts: string[]) {
  for (const p of parts) {
    yield p;
    await new Promise((r) => setImmediate(r));
  }
}

const bytes = (frames: AudioFrame[]) => Buffer.concat(frames.map((f) => f.data));

describe('ElevenLabsTts', () => {
  it('streams the model text word by word and returns μ-law 8 kHz as sent (§7.2)', async () => {
    const received: Record<string, unknown>[] = [];
    const s = await server(speaker(received));
    const frames = await collect(
      tts(s.url).synthesize({
        text: deltas('Sure, I can ', 'help with th', 'at.'),
        format: MULAW_8K,
        signal: new AbortController().signal,
      }),
    );
    assert.deepEqual(received, [
      { text: ' ' },
      { text: 'Sure, I can ' },
      { text: 'help with ' },
      { text: 'that. ', flush: true },
      { text: '' },
    ]);
    const url = new URL(s.upgrades[0]?.url ?? '', 'ws://x');
    assert.equal(url.pathname, '/v1/text-to-speech/voice1/stream-input');
    assert.equal(url.searchParams.get('output_format'), 'ulaw_8000');
    assert.equal(url.searchParams.get('model_id'), 'eleven_flash_v2_5');
    assert.equal(s.upgrades[0]?.headers['xi-api-key'], 'xi-key');
    const lines = reply().map((l) => JSON.parse(l) as { audio?: string });
    const sent = Buffer.concat(
      lines.filter((l) => l.audio).map((l) => Buffer.from(l.audio as string, 'base64')),
    );
    const got = bytes(frames);
    assert.ok(frames.every((f) => f.format.encoding === 'mulaw' && f.data.byteLength === 160));
    assert.deepEqual(got.subarray(0, sent.length), sent);
  });

  it('asks for PCM at the call rate when the call is PCM', async () => {
    const s = await server(speaker([]));
    const frames = await collect(
      tts(s.url).synthesize({
        text: 'Hello there.',
        format: PCM16_16K,
        signal: new AbortController().signal,
      }),
    );
    assert.equal(new URL(s.upgrades[0]?.url ?? '', 'ws://x').searchParams.get('output_format'), 'pcm_16000');
    assert.ok(frames.length > 0);
  });

  it('fails a bad key (401 at the upgrade) at once', async () => {
    const s = await server(
      () => {},
      () => 401,
    );
    await assert.rejects(
      collect(tts(s.url).synthesize({ text: 'Hi.', format: MULAW_8K, signal: new AbortController().signal })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'auth' && !e.retryable,
    );
    assert.equal(s.upgrades.length, 1);
  });

  it('treats an in-band invalid-key error and 1008 close as auth', async () => {
    const s = await server((ws) => {
      ws.once('message', () => {
        ws.send(fixture('elevenlabs/error-auth.json').trim());
        ws.close(1008, 'Invalid API key');
      });
    });
    await assert.rejects(
      collect(tts(s.url).synthesize({ text: 'Hi.', format: MULAW_8K, signal: new AbortController().signal })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'auth',
    );
    assert.equal(s.upgrades.length, 1);
  });

  it('retries a 429 for a whole utterance, then speaks', async () => {
    const s = await server(speaker([]), (attempt) => (attempt === 0 ? 429 : undefined));
    const frames = await collect(
      tts(s.url).synthesize({ text: 'Hi there.', format: MULAW_8K, signal: new AbortController().signal }),
    );
    assert.ok(frames.length > 0);
    assert.equal(s.upgrades.length, 2);
  });

  it('reports a socket dropped mid-audio as unavailable', async () => {
    const s = await server((ws) => {
      ws.on('message', (data) => {
        if (JSON.parse(String(data)).text === '') {
          ws.send(reply()[0] as string);
          setImmediate(() => ws.terminate());
        }
      });
    });
    const got: AudioFrame[] = [];
    await assert.rejects(
      (async () => {
        for await (const f of tts(s.url).synthesize({
          text: 'Hi there.',
          format: MULAW_8K,
          signal: new AbortController().signal,
        }))
          got.push(f);
      })(),
      (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
    );
    assert.ok(got.length > 0);
  });

  it('times out when no audio comes', async () => {
    const s = await server(() => {});
    await assert.rejects(
      collect(
        tts(s.url, { firstResultTimeoutMs: 150, retry: { maxRetries: 0 } }).synthesize({
          text: 'Hi.',
          format: MULAW_8K,
          signal: new AbortController().signal,
        }),
      ),
      (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
    );
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type AsrEvent, ProviderError } from '@switchboard/engine';
import { MULAW_8K, PCM16_16K } from '@switchboard/media';
import type { WebSocket } from 'ws';
import { type FakeWsServer, fakeWsServer, fixture, TEST_RETRY, until } from '../util/test-servers.js';
import { DeepgramAsr } from './deepgram-asr.js';

const servers: FakeWsServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(...args: Parameters<typeof fakeWsServer>) {
  const s = await fakeWsServer(...args);
  servers.push(s);
  return s;
}

const lines = (name: string) => fixture(name).split('\n').filter(Boolean);
const asr = (url: string, extra: Partial<ConstructorParameters<typeof DeepgramAsr>[0]> = {}) =>
  new DeepgramAsr({ apiKey: 'dg-key', baseUrl: `${url}/v1`, retry: TEST_RETRY, ...extra });
const connect = (a: DeepgramAsr, signal = new AbortController().signal) =>
  a.connect({ format: MULAW_8K, language: 'en', phrases: ['cleaning'], signal });
const ulawFrame = { format: MULAW_8K, data: new Uint8Array(160).fill(0x7f) };

/** A fake listen endpoint: answers the first audio with `script`, records everything it gets. */
function listen(script: string[], received: { binary: Uint8Array[]; text: string[] }) {
  return (ws: WebSocket) => {
    let answered = false;
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        received.binary.push(new Uint8Array(data as Buffer));
        if (!answered) {
          answered = true;
          for (const l of script) ws.send(l);
        }
        return;
      }
      const text = String(data);
      received.text.push(text);
      if (text.includes('CloseStream')) {
        for (const l of lines('deepgram/listen-close.jsonl')) ws.send(l);
        ws.close(1000);
      }
    });
  };
}

describe('DeepgramAsr', () => {
  it('relays μ-law undecoded and maps interim, final, speech_final and UtteranceEnd', async () => {
    const got = { binary: [] as Uint8Array[], text: [] as string[] };
    const s = await server(listen(lines('deepgram/listen-turn.jsonl'), got));
    const stream = await connect(asr(s.url));
    stream.push(ulawFrame);
    const events: AsrEvent[] = [];
    const reading = (async () => {
      for await (const e of stream.events) events.push(e);
    })();
    await until(() => events.length >= 7);
    await stream.close();
    await reading;
    assert.deepEqual(events, [
      { type: 'speech-start' },
      { type: 'partial', text: 'I need' },
      { type: 'final', text: 'I need a cleaning', confidence: 0.98 },
      { type: 'final', text: 'on Tuesday.', confidence: 0.95 },
      { type: 'speech-end' },
      { type: 'speech-start' },
      { type: 'final', text: 'um', confidence: 0.4 },
      { type: 'speech-end' },
      { type: 'final', text: 'thanks', confidence: 0.9 },
    ]);
    assert.deepEqual(got.binary[0], ulawFrame.data);
    assert.deepEqual(got.text, ['{"type":"CloseStream"}']);
    const url = new URL(s.upgrades[0]?.url ?? '', 'ws://x');
    assert.equal(url.pathname, '/v1/listen');
    assert.equal(url.searchParams.get('encoding'), 'mulaw');
    assert.equal(url.searchParams.get('sample_rate'), '8000');
    assert.equal(url.searchParams.get('interim_results'), 'true');
    assert.equal(url.searchParams.get('vad_events'), 'true');
    assert.deepEqual(url.searchParams.getAll('keyterm'), ['cleaning']);
    assert.equal(s.upgrades[0]?.headers.authorization, 'Token dg-key');
  });

  it('asks for linear16 at the call rate when the call is PCM', async () => {
    const s = await server(() => {});
    const stream = await asr(s.url).connect({
      format: PCM16_16K,
      language: 'en',
      phrases: [],
      signal: new AbortController().signal,
    });
    const url = new URL(s.upgrades[0]?.url ?? '', 'ws://x');
    assert.equal(url.searchParams.get('encoding'), 'linear16');
    assert.equal(url.searchParams.get('sample_rate'), '16000');
    await stream.close();
  });

  it('sends KeepAlive while no audio flows', async () => {
    const got = { binary: [] as Uint8Array[], text: [] as string[] };
    const s = await server(listen([], got));
    const stream = await connect(asr(s.url, { keepAliveMs: 20 }));
    await until(() => got.text.includes('{"type":"KeepAlive"}'));
    await stream.close();
  });

  it('fails a 401 at connect without retrying', async () => {
    const s = await server(
      () => {},
      () => 401,
    );
    await assert.rejects(connect(asr(s.url)), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /HTTP 401/);
      return true;
    });
    assert.equal(s.upgrades.length, 1);
  });

  it('retries a 429 at connect, then streams', async () => {
    const s = await server(
      () => {},
      (attempt) => (attempt === 0 ? 429 : undefined),
    );
    const a = asr(s.url);
    const stream = await connect(a);
    assert.equal(s.upgrades.length, 2);
    assert.ok(a.marks.retry !== undefined);
    await stream.close();
  });

  it('fails the event stream as unavailable when the socket drops mid-call', async () => {
    const s = await server((ws) => {
      ws.once('message', () => {
        ws.send(lines('deepgram/listen-turn.jsonl')[2] as string);
        setImmediate(() => ws.terminate());
      });
    });
    const stream = await connect(asr(s.url));
    stream.push(ulawFrame);
    const events: AsrEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of stream.events) events.push(e);
      })(),
      (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable' && e.retryable,
    );
    assert.deepEqual(events, [{ type: 'partial', text: 'I need' }]);
    await stream.close();
  });

  it('times out an upgrade that is never answered', async () => {
    const s = await server(
      () => {},
      () => 'hang',
    );
    await assert.rejects(
      connect(asr(s.url, { connectTimeoutMs: 150, retry: { maxRetries: 0 } })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
    );
  });
});

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { AudioFrame } from '@switchboard/media';
import { initMedia, MULAW_8K, PCM16_8K, PCM16_16K, PCM16_24K } from '@switchboard/media';
import { FakeLlm } from '../fakes/fake-llm.js';
import { FakeTts } from '../fakes/fake-tts.js';
import { pickFormat } from './format-pick.js';
import { ProviderError } from './provider-error.js';
import { backoffMs, DEFAULT_RETRY } from './retry.js';
import type { LlmChunk } from './types.js';

before(() => initMedia());

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
const signal = () => new AbortController().signal;

test('HTTP statuses classify once: 4xx final except 408 and 429', () => {
  assert.equal(ProviderError.fromStatus(400, 'x').retryable, false);
  assert.equal(ProviderError.fromStatus(401, 'x').kind, 'auth');
  assert.equal(ProviderError.fromStatus(401, 'x').retryable, false);
  assert.equal(ProviderError.fromStatus(408, 'x').retryable, true);
  assert.equal(ProviderError.fromStatus(429, 'x').kind, 'rate_limit');
  assert.equal(ProviderError.fromStatus(429, 'x').retryable, true);
  assert.equal(ProviderError.fromStatus(503, 'x').retryable, true);
  assert.equal(ProviderError.from(new Error('ECONNRESET')).kind, 'unavailable');
});

test('backoff grows exponentially within the cap', () => {
  const mid = () => 0.5;
  assert.equal(backoffMs(DEFAULT_RETRY, 0, mid), 150);
  assert.equal(backoffMs(DEFAULT_RETRY, 1, mid), 300);
  assert.equal(backoffMs(DEFAULT_RETRY, 10, mid), 1500);
});

test('retryable failures before the first token are retried; the reply then streams', async () => {
  const llm = new FakeLlm({
    replies: ['Hello there.'],
    failRequests: { count: 2, error: ProviderError.fromStatus(503, 'busy') },
  });
  const chunks = await collect(llm.chat({ messages: [], tools: [], signal: signal() }));
  assert.equal(
    chunks
      .filter((c): c is Extract<LlmChunk, { type: 'text' }> => c.type === 'text')
      .map((c) => c.text)
      .join(''),
    'Hello there.',
  );
  assert.ok(llm.marks.retry !== undefined && llm.marks['first-token'] !== undefined);
});

test('a non-retryable failure is not retried', async () => {
  const llm = new FakeLlm({ failRequests: { count: 1, error: ProviderError.fromStatus(401, 'bad key') } });
  await assert.rejects(collect(llm.chat({ messages: [], tools: [], signal: signal() })), { kind: 'auth' });
  assert.equal(llm.requests.length, 0);
});

test('first-result timeout fails a silent provider', async () => {
  const llm = new FakeLlm({ latencyMs: 5000, firstResultTimeoutMs: 20, retry: { maxRetries: 0 } });
  await assert.rejects(collect(llm.chat({ messages: [], tools: [], signal: signal() })), { kind: 'timeout' });
});

test('aborting the signal ends the stream quietly and cancels the request', async () => {
  const llm = new FakeLlm({ replies: ['one two three four'], tokenDelayMs: 50 });
  const ctrl = new AbortController();
  const got: LlmChunk[] = [];
  for await (const c of llm.chat({ messages: [], tools: [], signal: ctrl.signal })) {
    got.push(c);
    ctrl.abort();
  }
  assert.equal(got.length, 1);
});

test('a failure after audio has been delivered is not retried (it would repeat speech)', async () => {
  const tts = new FakeTts({ fail: { error: ProviderError.fromStatus(503, 'x'), afterFrames: 2 } });
  const frames: AudioFrame[] = [];
  await assert.rejects(async () => {
    for await (const f of tts.synthesize({ text: 'a b c', format: PCM16_8K, signal: signal() }))
      frames.push(f);
  });
  assert.equal(frames.length, 2);
  assert.equal(tts.requests.length, 1);
});

test('tts: audio converted to the call format, or passed through when the adapter accepts it', async () => {
  const converting = new FakeTts({ supportedFormats: [PCM16_16K] });
  const out = await collect(converting.synthesize({ text: 'hi', format: MULAW_8K, signal: signal() }));
  assert.ok(out.length > 0 && out.every((f) => f.format === MULAW_8K && f.data.byteLength === 160));
  const direct = new FakeTts({ supportedFormats: [PCM16_16K, MULAW_8K] });
  const same = await collect(direct.synthesize({ text: 'hi', format: MULAW_8K, signal: signal() }));
  assert.ok(same.every((f) => f.format === MULAW_8K));
});

test('tts: a text stream is spoken sentence by sentence', async () => {
  const tts = new FakeTts();
  async function* text() {
    yield 'Hello there. How ';
    yield 'are you?';
  }
  await collect(tts.synthesize({ text: text(), format: PCM16_8K, signal: signal() }));
  assert.deepEqual(tts.requests, ['Hello there.', 'How are you?']);
});

test('pickFormat: passthrough first, then the least lossy linear format', () => {
  assert.equal(pickFormat([PCM16_16K, MULAW_8K], MULAW_8K), MULAW_8K);
  assert.equal(pickFormat([PCM16_24K, PCM16_8K], MULAW_8K), PCM16_8K);
  assert.equal(pickFormat([PCM16_24K, PCM16_16K], PCM16_8K), PCM16_16K);
  assert.equal(pickFormat([], PCM16_8K), PCM16_8K);
});

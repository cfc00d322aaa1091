import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type AsrEvent, ProviderError } from '@switchboard/engine';
import { type AudioFrame, initMedia, PCM16_8K, PCM16_16K } from '@switchboard/media';
import { collect, fixture, TEST_RETRY, until } from '../util/test-servers.js';
import { WyomingAsr } from './wyoming-asr.js';
import { encodeWyoming, WyomingDecoder, type WyomingEvent } from './wyoming-codec.js';
import { WyomingTts } from './wyoming-tts.js';

before(() => initMedia());

const servers: { server: Server; sockets: Set<Socket> }[] = [];
after(() => {
  for (const s of servers) {
    for (const c of s.sockets) c.destroy();
    s.server.close();
  }
});

/** A Wyoming service on 127.0.0.1: `onEvent` sees each decoded client event with its socket. */
async function wyomingServer(onEvent: (ev: WyomingEvent, socket: Socket, seen: WyomingEvent[]) => void) {
  const sockets = new Set<Socket>();
  const all: WyomingEvent[][] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const seen: WyomingEvent[] = [];
    all.push(seen);
    const decoder = new WyomingDecoder();
    socket.on('data', (chunk) => {
      for (const ev of decoder.push(chunk)) {
        seen.push(ev);
        onEvent(ev, socket, seen);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ server, sockets });
  return { port: (server.address() as AddressInfo).port, connections: all };
}

/** 20 ms at 16 kHz: a loud square wave, or silence. */
const frame16k = (loud: boolean): AudioFrame => ({
  format: PCM16_16K,
  data: new Uint8Array(
    Int16Array.from({ length: 320 }, (_, i) => (loud ? (i % 16 < 8 ? 8000 : -8000) : 0)).buffer,
  ),
});

describe('WyomingCodec', () => {
  it('reads a data block merged over inline data, split across chunks anywhere', () => {
    const wire = Buffer.from(fixture('wyoming/asr-transcript.wire'));
    const d = new WyomingDecoder();
    const events: WyomingEvent[] = [];
    for (let i = 0; i < wire.length; i += 7) events.push(...d.push(wire.subarray(i, i + 7)));
    assert.deepEqual(
      events.map((e) => [e.type, e.data.text]),
      [
        ['transcript-start', undefined],
        ['transcript-chunk', 'I need'],
        ['transcript', ' I need a cleaning on Tuesday. '],
        ['transcript-stop', undefined],
      ],
    );
  });

  it('round-trips a payload', () => {
    const ev = {
      type: 'audio-chunk',
      data: { rate: 16000, width: 2, channels: 1 },
      payload: new Uint8Array([1, 2, 3, 4]),
    };
    const [back] = new WyomingDecoder().push(encodeWyoming(ev));
    assert.deepEqual(back, ev);
  });
});

describe('WyomingAsr', () => {
  it('sends one utterance as transcribe/audio-start/chunks/audio-stop and reads the transcript', async () => {
    const s = await wyomingServer((ev, socket) => {
      if (ev.type === 'audio-stop') socket.end(fixture('wyoming/asr-transcript.wire'));
    });
    const asr = new WyomingAsr({ host: '127.0.0.1', port: s.port, silenceMs: 100, retry: TEST_RETRY });
    const stream = await asr.connect({
      format: PCM16_16K,
      language: 'en-US',
      phrases: [],
      signal: new AbortController().signal,
    });
    const events: AsrEvent[] = [];
    const reading = (async () => {
      for await (const e of stream.events) events.push(e);
    })();
    stream.push(frame16k(false));
    for (let i = 0; i < 5; i++) stream.push(frame16k(true));
    for (let i = 0; i < 6; i++) stream.push(frame16k(false));
    await until(() => events.some((e) => e.type === 'final'));
    await stream.close();
    await reading;
    assert.deepEqual(events, [
      { type: 'speech-start' },
      { type: 'speech-end' },
      { type: 'partial', text: 'I need' },
      { type: 'final', text: 'I need a cleaning on Tuesday.' },
    ]);
    const seen = s.connections[0] ?? [];
    assert.deepEqual(seen[0], { type: 'transcribe', data: { language: 'en' } });
    assert.deepEqual(seen[1], { type: 'audio-start', data: { rate: 16000, width: 2, channels: 1 } });
    assert.equal(seen.at(-1)?.type, 'audio-stop');
    // The preroll frame, the five loud ones and silence up to 100 ms.
    assert.equal(seen.filter((e) => e.type === 'audio-chunk').length, 11);
  });

  it('fails the stream as unavailable when the service drops before the transcript', async () => {
    const s = await wyomingServer((ev, socket) => {
      if (ev.type === 'audio-stop') socket.destroy();
    });
    const asr = new WyomingAsr({ host: '127.0.0.1', port: s.port, silenceMs: 40, retry: TEST_RETRY });
    const stream = await asr.connect({
      format: PCM16_16K,
      language: 'en',
      phrases: [],
      signal: new AbortController().signal,
    });
    for (let i = 0; i < 3; i++) stream.push(frame16k(true));
    for (let i = 0; i < 3; i++) stream.push(frame16k(false));
    await assert.rejects(
      collect(stream.events),
      (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
    );
    await stream.close();
  });

  it('says unavailable, after retries, when nothing listens', async () => {
    const s = await wyomingServer(() => {});
    const port = s.port;
    servers.at(-1)?.server.close();
    await new Promise((r) => setTimeout(r, 10));
    const asr = new WyomingAsr({ host: '127.0.0.1', port, retry: TEST_RETRY });
    await assert.rejects(
      asr.connect({ format: PCM16_16K, language: 'en', phrases: [], signal: new AbortController().signal }),
      (e: unknown) =>
        e instanceof ProviderError && e.kind === 'unavailable' && /cannot reach/.test(e.message),
    );
  });
});

describe('WyomingTts', () => {
  const piper = (ev: WyomingEvent, socket: Socket) => {
    if (ev.type !== 'synthesize') return;
    const fmt = { rate: 22050, width: 2, channels: 1 };
    socket.write(encodeWyoming({ type: 'audio-start', data: fmt }));
    for (let i = 0; i < 4; i++) {
      const pcm = Int16Array.from({ length: 1024 }, (_, j) => ((j * 41) % 6000) - 3000);
      socket.write(encodeWyoming({ type: 'audio-chunk', data: fmt, payload: new Uint8Array(pcm.buffer) }));
    }
    socket.end(encodeWyoming({ type: 'audio-stop', data: {} }));
  };

  it('synthesizes, reads the rate from audio-start and resamples to the call', async () => {
    const s = await wyomingServer(piper);
    const tts = new WyomingTts({
      host: '127.0.0.1',
      port: s.port,
      voice: 'en_US-lessac-medium',
      retry: TEST_RETRY,
    });
    const frames = await collect(
      tts.synthesize({ text: 'Hello there.', format: PCM16_8K, signal: new AbortController().signal }),
    );
    assert.deepEqual(s.connections[0]?.[0], {
      type: 'synthesize',
      data: { text: 'Hello there.', voice: { name: 'en_US-lessac-medium' } },
    });
    // 4096 samples at 22.05 kHz are about 186 ms: nine or ten 20 ms frames at 8 kHz.
    assert.ok(frames.length >= 9 && frames.length <= 10, `got ${frames.length} frames`);
    assert.ok(frames.every((f) => f.format.sampleRate === 8000 && f.data.byteLength === 320));
  });

  it('reports an error event from the service', async () => {
    const s = await wyomingServer((ev, socket) => {
      if (ev.type === 'synthesize') socket.write(fixture('wyoming/error.wire'));
    });
    const tts = new WyomingTts({ host: '127.0.0.1', port: s.port, retry: { maxRetries: 0 } });
    await assert.rejects(
      collect(tts.synthesize({ text: 'Hi.', format: PCM16_16K, signal: new AbortController().signal })),
      (e: unknown) => e instanceof ProviderError && /model not loaded/.test(e.message),
    );
  });

  it('times out a service that never answers', async () => {
    const s = await wyomingServer(() => {});
    const tts = new WyomingTts({
      host: '127.0.0.1',
      port: s.port,
      retry: { maxRetries: 0 },
      firstResultTimeoutMs: 150,
    });
    await assert.rejects(
      collect(tts.synthesize({ text: 'Hi.', format: PCM16_16K, signal: new AbortController().signal })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
    );
  });
});

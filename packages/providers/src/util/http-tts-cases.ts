import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, it } from 'node:test';
import { ProviderError, type TtsProvider } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, initMedia } from '@switchboard/media';
import {
  collect,
  type FakeHttpServer,
  fakeHttpServer,
  type RecordedRequest,
  sendJson,
  TEST_RETRY,
} from './test-servers.js';

export interface HttpTtsCase {
  /** Builds the adapter against the fake server's root URL. */
  build: (url: string, extra: { retry?: object; firstResultTimeoutMs?: number }) => TtsProvider;
  callFormat: AudioFormat;
  /** The vendor's answer body for a good request (raw audio). */
  audio: Uint8Array;
  contentType: string;
  error401: string;
  error429: string;
  /** Checks the request the adapter sent. */
  checkRequest: (req: RecordedRequest) => void;
}

/** Streams `audio` in small chunks; `dropAt` destroys the socket after that many bytes. */
async function sendAudio(res: ServerResponse, c: HttpTtsCase, dropAt?: number): Promise<void> {
  res.writeHead(200, { 'content-type': c.contentType });
  for (let i = 0; i < c.audio.byteLength; i += 97) {
    if (dropAt !== undefined && i >= dropAt) {
      res.socket?.destroy();
      return;
    }
    res.write(c.audio.subarray(i, i + 97));
    await new Promise((r) => setImmediate(r));
  }
  res.end();
}

/** The shared failure-mode cases every HTTP-streaming TTS adapter must pass. */
export function httpTtsCases(c: HttpTtsCase): void {
  const servers: FakeHttpServer[] = [];
  // Resampling (24 kHz → the call's rate) runs in the media package's WASM.
  before(() => initMedia());
  after(() => Promise.all(servers.map((s) => s.close())));
  const server = async (...a: Parameters<typeof fakeHttpServer>) => {
    const s = await fakeHttpServer(...a);
    servers.push(s);
    return s;
  };
  const speak = (tts: TtsProvider) =>
    collect(
      tts.synthesize({
        text: 'Your appointment is booked.',
        format: c.callFormat,
        signal: new AbortController().signal,
      }),
    );

  it('streams the audio of a request as frames in the call format', async () => {
    const s = await server((_q, res) => sendAudio(res, c));
    const frames: AudioFrame[] = await speak(c.build(s.url, { retry: TEST_RETRY }));
    assert.ok(frames.length > 0);
    assert.ok(
      frames.every(
        (f) => f.format.encoding === c.callFormat.encoding && f.format.sampleRate === c.callFormat.sampleRate,
      ),
    );
    c.checkRequest(s.requests[0] as RecordedRequest);
  });

  it('fails a 401 at once, in our words: the vendor body (which may repeat the key) is not quoted', async () => {
    const s = await server((_q, res) => sendJson(res, 401, c.error401));
    await assert.rejects(speak(c.build(s.url, { retry: TEST_RETRY })), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.kind, 'auth');
      assert.match(e.message, /HTTP 401: the service rejected the credential$/);
      return true;
    });
    assert.equal(s.requests.length, 1);
  });

  it('retries a 429, then speaks', async () => {
    const s = await server((_q, res, n) => (n === 0 ? sendJson(res, 429, c.error429) : sendAudio(res, c)));
    const frames = await speak(c.build(s.url, { retry: TEST_RETRY }));
    assert.ok(frames.length > 0);
    assert.equal(s.requests.length, 2);
  });

  it('reports a connection dropped mid-audio as unavailable', async () => {
    const s = await server((_q, res) => sendAudio(res, c, 400));
    await assert.rejects(
      speak(c.build(s.url, { retry: TEST_RETRY })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
    );
  });

  it('times out a server that never answers', async () => {
    const s = await server(() => {});
    await assert.rejects(
      speak(c.build(s.url, { retry: { maxRetries: 0 }, firstResultTimeoutMs: 150 })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
    );
  });
}

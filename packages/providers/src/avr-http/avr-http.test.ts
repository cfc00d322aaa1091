import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { type AsrEvent, type LlmChunk, ProviderError } from '@switchboard/engine';
import { PCM16_8K } from '@switchboard/media';
import { httpTtsCases } from '../util/http-tts-cases.js';
import {
  collect,
  type FakeHttpServer,
  fakeHttpServer,
  fixture,
  sendJson,
  TEST_RETRY,
  until,
} from '../util/test-servers.js';
import { AvrAsr } from './avr-asr.js';
import { AvrLlm } from './avr-llm.js';
import { AvrTts } from './avr-tts.js';
import { jsonObjects } from './json-objects.js';

const servers: FakeHttpServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function server(...args: Parameters<typeof fakeHttpServer>) {
  const s = await fakeHttpServer(...args);
  servers.push(s);
  return s;
}

async function* split(text: string, size: number) {
  const b = Buffer.from(text);
  for (let i = 0; i < b.length; i += size) yield new Uint8Array(b.subarray(i, i + size));
}

const llmChat = (l: AvrLlm) =>
  collect(
    l.chat({
      messages: [
        { role: 'system', content: 'ignored: the connector has its own prompt' },
        { role: 'user', content: 'Book Tuesday' },
      ],
      tools: [],
      signal: new AbortController().signal,
    }),
  );

describe('AVR jsonObjects', () => {
  it('splits undelimited objects however the chunks fall, braces in strings included', async () => {
    const got = await collect(jsonObjects(split(fixture('avr/llm-prompt-stream.txt'), 5)));
    assert.deepEqual(
      got.map((g) => JSON.parse(g).content),
      ['Sure, ', 'Tuesday {at} 10 works.', ' Anything else?'],
    );
  });
});

describe('AvrLlm', () => {
  it('posts uuid, message and history and streams the text objects', async () => {
    const s = await server((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(fixture('avr/llm-prompt-stream.txt'));
    });
    const chunks = await llmChat(
      new AvrLlm({ url: `${s.url}/prompt-stream`, uuid: 'call-1', retry: TEST_RETRY }),
    );
    assert.deepEqual(chunks, [
      { type: 'text', text: 'Sure, ' },
      { type: 'text', text: 'Tuesday {at} 10 works.' },
      { type: 'text', text: ' Anything else?' },
      { type: 'done', finishReason: 'stop' },
    ] satisfies LlmChunk[]);
    assert.deepEqual(JSON.parse(String(s.requests[0]?.body)), {
      uuid: 'call-1',
      message: 'Book Tuesday',
      messages: [{ role: 'user', content: 'Book Tuesday' }],
    });
  });

  it('accepts the older bare-text stream', async () => {
    const s = await server((_q, res) => {
      res.end('Hello there');
    });
    const chunks = await llmChat(new AvrLlm({ url: s.url, uuid: 'c', retry: TEST_RETRY }));
    assert.deepEqual(chunks[0], { type: 'text', text: 'Hello there' });
  });

  it('retries a 503 and fails a 401 at once', async () => {
    const s = await server((_q, res, n) =>
      n === 0 ? sendJson(res, 503, '{"message":"busy"}') : void res.end(fixture('avr/llm-prompt-stream.txt')),
    );
    assert.equal((await llmChat(new AvrLlm({ url: s.url, uuid: 'c', retry: TEST_RETRY }))).length, 4);
    const bad = await server((_q, res) => sendJson(res, 401, '{"message":"no"}'));
    await assert.rejects(
      llmChat(new AvrLlm({ url: bad.url, uuid: 'c', retry: TEST_RETRY })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'auth',
    );
    assert.equal(bad.requests.length, 1);
  });

  it('reports a drop mid-stream as unavailable', async () => {
    const s = await server((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"text","content":"Sure, "}');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await assert.rejects(
      llmChat(new AvrLlm({ url: s.url, uuid: 'c', retry: TEST_RETRY })),
      (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
    );
  });
});

describe('AvrAsr', () => {
  const connect = (a: AvrAsr) =>
    a.connect({ format: PCM16_8K, language: 'en', phrases: [], signal: new AbortController().signal });
  const frame = { format: PCM16_8K, data: new Uint8Array(320).fill(1) };

  it('streams audio up one long POST and reads each written transcript as a final', async () => {
    let received = 0;
    const http = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const lines = fixture('avr/asr-transcripts.txt').split('\n').filter(Boolean);
      // One transcript per threshold, so the two never share a TCP chunk (bare strings have no framing).
      const thresholds = [960, 1600];
      req.on('data', (c: Buffer) => {
        received += c.byteLength;
        if (thresholds[0] !== undefined && received >= thresholds[0]) {
          thresholds.shift();
          res.write(lines.shift() as string);
        }
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    let headers: IncomingHttpHeaders = {};
    http.on('request', (req) => {
      headers = req.headers;
    });
    try {
      const stream = await connect(
        new AvrAsr({
          url: `http://127.0.0.1:${port}/speech-to-text-stream`,
          uuid: 'call-9',
          retry: TEST_RETRY,
        }),
      );
      const events: AsrEvent[] = [];
      const reading = (async () => {
        for await (const e of stream.events) events.push(e);
      })();
      for (let i = 0; i < 2; i++) stream.push(frame);
      await until(() => events.length >= 1);
      for (let i = 0; i < 2; i++) stream.push(frame);
      await until(() => events.length >= 2);
      await stream.close();
      await reading;
      assert.deepEqual(events, [
        { type: 'final', text: 'I need a cleaning' },
        { type: 'final', text: 'on Tuesday please' },
      ]);
      assert.equal(headers['x-uuid'], 'call-9');
      assert.equal(headers['content-type'], 'audio/l16');
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });

  it('fails a 401 at connect without retrying', async () => {
    let requests = 0;
    // Answers at once, without waiting for the (endless) audio body, as a connector does.
    const http = createServer((_req, res) => {
      requests++;
      sendJson(res, 401, '{"message":"no"}');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    try {
      await assert.rejects(
        connect(new AvrAsr({ url: `http://127.0.0.1:${port}`, uuid: 'c', retry: TEST_RETRY })),
        (e: unknown) => e instanceof ProviderError && e.kind === 'auth',
      );
      assert.equal(requests, 1);
    } finally {
      http.closeAllConnections();
      http.close();
    }
  });
});

describe('AvrTts', () => {
  httpTtsCases({
    build: (url, extra) => new AvrTts({ url: `${url}/text-to-speech-stream`, ...extra }),
    callFormat: PCM16_8K,
    audio: new Uint8Array(Int16Array.from({ length: 1600 }, (_, i) => ((i * 53) % 4000) - 2000).buffer),
    contentType: 'audio/l16',
    error401: '{"message":"unauthorized"}',
    error429: '{"message":"slow down"}',
    checkRequest: (req) => {
      assert.equal(req.url, '/text-to-speech-stream');
      assert.deepEqual(JSON.parse(String(req.body)), { text: 'Your appointment is booked.' });
    },
  });
});

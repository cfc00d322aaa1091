import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type ChatMessage, type LlmChunk, ProviderError } from '@switchboard/engine';
import {
  collect,
  type FakeHttpServer,
  fakeHttpServer,
  fixture,
  sendJson,
  TEST_RETRY,
  writeSse,
} from '../util/test-servers.js';
import { OpenAiChatLlm } from './openai-chat-llm.js';

const servers: FakeHttpServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function server(...args: Parameters<typeof fakeHttpServer>) {
  const s = await fakeHttpServer(...args);
  servers.push(s);
  return s;
}

const llm = (baseUrl: string, extra: Partial<ConstructorParameters<typeof OpenAiChatLlm>[0]> = {}) =>
  new OpenAiChatLlm({
    baseUrl: `${baseUrl}/v1`,
    model: 'gpt-4o-mini',
    apiKey: 'sk-test',
    retry: TEST_RETRY,
    ...extra,
  });

const user = (content: string): ChatMessage => ({ role: 'user', content });
const chat = (
  l: OpenAiChatLlm,
  messages: ChatMessage[],
  tools = [] as Parameters<OpenAiChatLlm['chat']>[0]['tools'],
) => collect(l.chat({ messages, tools, signal: new AbortController().signal }));

const bookTool = {
  name: 'book_appointment',
  description: 'Books a slot',
  parameters: { type: 'object', properties: { date: { type: 'string' } } },
};

describe('OpenAiChatLlm', () => {
  it('streams text deltas from the SSE body and sends the request per §7.3', async () => {
    const s = await server((_req, res) => writeSse(res, fixture('openai/chat-text.sse')));
    const chunks = await chat(llm(s.url, { temperature: 0.3 }), [
      { role: 'system', content: 'Be brief.' },
      user('Is Tuesday free?'),
    ]);
    assert.deepEqual(chunks, [
      { type: 'text', text: 'Sure, ' },
      { type: 'text', text: 'Tuesday is free.' },
      { type: 'done', finishReason: 'stop' },
    ]);
    const req = s.requests[0];
    assert.equal(req?.url, '/v1/chat/completions');
    assert.equal(req?.headers.authorization, 'Bearer sk-test');
    const body = JSON.parse(String(req?.body));
    assert.equal(body.stream, true);
    assert.equal(body.model, 'gpt-4o-mini');
    assert.equal(body.temperature, 0.3);
    assert.deepEqual(body.messages[1], { role: 'user', content: 'Is Tuesday free?' });
    assert.equal(body.tools, undefined);
  });

  it('assembles a tool call from fragments and sends its result back (round trip)', async () => {
    const s = await server((_req, res, attempt) =>
      writeSse(res, fixture(attempt === 0 ? 'openai/chat-tool-call.sse' : 'openai/chat-tool-followup.sse')),
    );
    const l = llm(s.url);
    const first = await chat(l, [user('Book me Tuesday')], [bookTool]);
    assert.deepEqual(first, [
      {
        type: 'tool-call',
        call: { id: 'call_8Xk2', name: 'book_appointment', arguments: '{"date":"Tuesday"}' },
      },
      { type: 'done', finishReason: 'tool_calls' },
    ]);
    const call = (first[0] as Extract<LlmChunk, { type: 'tool-call' }>).call;
    const second = await chat(
      l,
      [
        user('Book me Tuesday'),
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', toolCallId: call.id, name: call.name, content: '{"booked":true}' },
      ],
      [bookTool],
    );
    assert.deepEqual(second, [
      { type: 'text', text: 'You are booked for Tuesday.' },
      { type: 'done', finishReason: 'stop' },
    ]);
    const body0 = JSON.parse(String(s.requests[0]?.body));
    assert.equal(body0.tool_choice, 'auto');
    assert.equal(body0.tools[0].function.name, 'book_appointment');
    const body1 = JSON.parse(String(s.requests[1]?.body));
    assert.deepEqual(body1.messages[1], {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_8Xk2',
          type: 'function',
          function: { name: 'book_appointment', arguments: '{"date":"Tuesday"}' },
        },
      ],
    });
    assert.deepEqual(body1.messages[2], {
      role: 'tool',
      tool_call_id: 'call_8Xk2',
      content: '{"booked":true}',
    });
  });

  it('accepts a compatible server that sends a whole call without index and no key', async () => {
    const s = await server((_req, res) => writeSse(res, fixture('openai/chat-compat-no-index.sse')));
    const chunks = await chat(llm(s.url, { apiKey: undefined }), [user('hours?')], [bookTool]);
    assert.deepEqual(chunks[0], {
      type: 'tool-call',
      call: { id: 'call_a', name: 'lookup', arguments: '{"q":"hours"}' },
    });
    assert.equal(s.requests[0]?.headers.authorization, undefined);
  });

  it('fails a 401 at once without retrying, never quoting the body that repeats the key', async () => {
    const s = await server((req, res) =>
      sendJson(
        res,
        401,
        JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }),
      ),
    );
    await assert.rejects(chat(llm(s.url), [user('hi')]), (e: unknown) => {
      assert.ok(e instanceof ProviderError);
      assert.equal(e.kind, 'auth');
      assert.equal(e.retryable, false);
      assert.match(e.message, /HTTP 401: the service rejected the credential$/);
      assert.doesNotMatch(e.message, /Incorrect API key|sk-test/);
      return true;
    });
    assert.equal(s.requests.length, 1);
  });

  it('retries a 429 with backoff and then streams the answer', async () => {
    const s = await server((_req, res, attempt) =>
      attempt === 0
        ? sendJson(res, 429, fixture('openai/error-429.json'))
        : writeSse(res, fixture('openai/chat-text.sse')),
    );
    const l = llm(s.url);
    const chunks = await chat(l, [user('hi')]);
    assert.equal(chunks.at(-1)?.type, 'done');
    assert.equal(s.requests.length, 2);
    assert.ok(l.marks.retry !== undefined);
  });

  it('reports a connection dropped mid-stream as unavailable', async () => {
    const s = await server((_req, res) => writeSse(res, fixture('openai/chat-text.sse'), 3));
    const got: LlmChunk[] = [];
    await assert.rejects(
      (async () => {
        for await (const c of llm(s.url).chat({
          messages: [user('hi')],
          tools: [],
          signal: new AbortController().signal,
        }))
          got.push(c);
      })(),
      (e: unknown) => e instanceof ProviderError && e.kind === 'unavailable',
    );
    assert.deepEqual(got[0], { type: 'text', text: 'Sure, ' });
  });

  it('times out a server that never sends the first byte', async () => {
    const s = await server(() => {
      // Holds the request open: headers never come.
    });
    const l = llm(s.url, { firstResultTimeoutMs: 150, retry: { maxRetries: 0 } });
    await assert.rejects(
      chat(l, [user('hi')]),
      (e: unknown) => e instanceof ProviderError && e.kind === 'timeout',
    );
  });
});

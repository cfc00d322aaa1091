import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutboundGuard } from '@switchboard/core';
import { ProviderError } from '@switchboard/engine';
import { fakeHttpServer, sendJson, TEST_RETRY } from '../util/test-servers.js';
import { conceptEmbedding, fakeEmbeddingsServer } from './fake-embeddings.js';
import { OpenAiEmbeddings } from './openai-embeddings.js';

test('inputs go in batches of the wire shape; vectors come back in input order by index', async (t) => {
  const server = await fakeEmbeddingsServer({ dims: 16 });
  t.after(() => server.close());
  const texts = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
  const e = new OpenAiEmbeddings({ baseUrl: server.baseUrl, model: 'm', apiKey: 'sk-test', batchSize: 2 });
  const vectors = await e.embed(texts);
  assert.deepEqual(
    vectors,
    texts.map((x) => conceptEmbedding(x, 'm', 16)),
  );
  assert.equal(server.requests.length, 3);
  const first = server.requests[0]!;
  assert.equal(first.url, '/v1/embeddings');
  assert.equal(first.headers.authorization, 'Bearer sk-test');
  assert.deepEqual(JSON.parse(first.body.toString()), { model: 'm', input: ['alpha', 'beta'] });
});

test('429 and 5xx are retried with the shared backoff; 401 is final', async (t) => {
  const flaky = await fakeEmbeddingsServer({ dims: 8, failFirst: { count: 2, status: 503 } });
  t.after(() => flaky.close());
  const ok = await new OpenAiEmbeddings({ baseUrl: flaky.baseUrl, model: 'm', retry: TEST_RETRY }).embed([
    'x',
  ]);
  assert.equal(ok.length, 1);
  assert.equal(flaky.requests.length, 3);

  const denied = await fakeEmbeddingsServer({ failFirst: { count: 9, status: 401 } });
  t.after(() => denied.close());
  const err = await new OpenAiEmbeddings({ baseUrl: denied.baseUrl, model: 'm', retry: TEST_RETRY })
    .embed(['x'])
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(err instanceof ProviderError);
  assert.equal(err.kind, 'auth');
  assert.equal(denied.requests.length, 1);
});

test('an answer without one numeric vector per input is a protocol error', async (t) => {
  const answers = [
    { data: [{ index: 0, embedding: [1, 2] }] },
    {
      data: [
        { index: 0, embedding: 'AAAA' },
        { index: 1, embedding: [1] },
      ],
    },
    {
      data: [
        { index: 0, embedding: [1, 2] },
        { index: 0, embedding: [1, 2] },
      ],
    },
  ];
  const server = await fakeHttpServer((_req, res, attempt) =>
    sendJson(res, 200, JSON.stringify(answers[attempt])),
  );
  t.after(() => server.close());
  const e = new OpenAiEmbeddings({ baseUrl: `${server.url}/v1`, model: 'm', retry: TEST_RETRY });
  for (const pattern of [/expected 2 embeddings, got 1/, /not a list of numbers/, /indexes do not match/]) {
    await assert.rejects(e.embed(['a', 'b']), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.kind, 'protocol');
      assert.match(err.message, pattern);
      return true;
    });
  }
});

test('the request goes through the outbound guard given', async (t) => {
  const server = await fakeEmbeddingsServer();
  t.after(() => server.close());
  const closed = new OutboundGuard({ allowPrivateNetworks: false, allowedHosts: [] });
  t.after(() => closed.close());
  const e = new OpenAiEmbeddings({
    baseUrl: server.baseUrl,
    model: 'm',
    fetch: closed.fetch,
    retry: TEST_RETRY,
  });
  await assert.rejects(
    e.embed(['x']),
    (err: unknown) => err instanceof ProviderError && err.kind === 'bad_request',
  );
  assert.equal(server.requests.length, 0);
});

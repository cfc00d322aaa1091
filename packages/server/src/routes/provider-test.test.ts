import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createProviderTester, type ResolvedProvider } from '@switchboard/providers';
import type { Store } from '@switchboard/store';
import { bearer, createTestApp, type TestApp } from '../testing.js';

/** An OpenAI-compatible `/v1/models/{model}` that knows one key. */
async function fakeOpenAi() {
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== 'Bearer sk-good') {
      res.writeHead(401).end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
    } else if (req.url === '/v1/models/gpt-4o-mini') {
      res.writeHead(200).end(JSON.stringify({ id: 'gpt-4o-mini', object: 'model' }));
    } else res.writeHead(404).end(JSON.stringify({ error: { message: 'The model does not exist' } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function lookupIn(store: () => Store) {
  return async (workspaceId: string, id: string): Promise<ResolvedProvider> => {
    const p = await store().providers.get(workspaceId, id);
    const c = p.credentialId
      ? await store().credentials.revealForUse(workspaceId, p.credentialId)
      : undefined;
    return {
      kind: p.kind,
      type: p.type,
      settings: p.settings,
      ...(c ? { secret: c.secret, credential: { name: c.name, allowedHosts: c.allowedHosts } } : {}),
    };
  };
}

describe('POST /v1/providers/:id/test', () => {
  let t: TestApp;
  let vendor: Awaited<ReturnType<typeof fakeOpenAi>>;
  before(async () => {
    vendor = await fakeOpenAi();
    t = await createTestApp({
      // The tester needs the app's guard, which exists once the app does.
      providerTester: (workspaceId, id) =>
        createProviderTester(
          lookupIn(() => t.store),
          { timeoutMs: 5000, outbound: t.outbound },
        )(workspaceId, id),
    });
  });
  after(async () => {
    await t.close();
    vendor.close();
  });

  async function provider(key: string, baseUrl: string) {
    // The fake vendor is on this machine: an admin allowed the key to go there.
    const cred = await t.store.credentials.create(t.workspaceId, {
      name: `k-${key}`,
      value: key,
      allowedHosts: ['127.0.0.1'],
    });
    const p = await t.store.providers.create(t.workspaceId, {
      name: `llm ${key}`,
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl, model: 'gpt-4o-mini' },
      credentialId: cred.id,
    });
    return p.id;
  }

  const test = (id: string) =>
    t.app.inject({ method: 'POST', url: `/v1/providers/${id}/test`, headers: bearer(t.adminKey) });

  it('answers ok for a good key', async () => {
    const res = await test(await provider('sk-good', `${vendor.url}/v1`));
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.ok, true);
    assert.equal(body.code, 'ok');
    assert.equal(typeof body.latencyMs, 'number');
  });

  it('says bad_credentials for a rejected key, in our words, never quoting the vendor', async () => {
    const res = await test(await provider('sk-bad', `${vendor.url}/v1`));
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.ok, false);
    assert.equal(body.code, 'bad_credentials');
    assert.match(body.message, /HTTP 401/);
    assert.doesNotMatch(body.message, /Incorrect API key/);
    assert.doesNotMatch(body.message, /sk-bad/);
  });

  it('says unreachable when nothing answers at the base URL', async () => {
    const res = await test(await provider('sk-good2', `http://127.0.0.1:${await closedPort()}/v1`));
    const body = res.json();
    assert.equal(body.ok, false);
    assert.equal(body.code, 'unreachable');
  });

  it('is a 404 for a provider that does not exist', async () => {
    const res = await test('00000000-0000-4000-8000-000000000000');
    assert.equal(res.statusCode, 404);
  });
});

describe('POST /v1/providers/:id/test without a tester', () => {
  it('is a 501', async () => {
    const t = await createTestApp();
    try {
      const p = await t.store.providers.create(t.workspaceId, {
        name: 'local',
        kind: 'tts',
        type: 'espeak',
        settings: {},
      });
      const res = await t.app.inject({
        method: 'POST',
        url: `/v1/providers/${p.id}/test`,
        headers: bearer(t.adminKey),
      });
      assert.equal(res.statusCode, 501);
    } finally {
      await t.close();
    }
  });
});

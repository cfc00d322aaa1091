import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestPlatform, type TestPlatform } from './platform-testkit.js';

const SECRET = 'sk-admin-ONLY-4f9c2e7d1b';

/**
 * A server a member controls: records every request and answers 401 with a body that repeats the
 * Authorization header, as some vendors (and any attacker) do.
 */
async function captureServer() {
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization}` } }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    secretsSeen: () => seen.filter((s) => JSON.stringify(s.headers).includes(SECRET)).length,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// Regression: a member could attach an admin's credential to an openai-compatible provider whose
// baseUrl pointed at their own server, press "test", and receive `Authorization: Bearer <secret>`
// there (and read it back from the test result when the server echoed it in a 401). The platform
// here allows loopback, so only the credential's hosts stand between the member and the secret.
describe('a member cannot send a workspace credential to a host of their choosing', () => {
  let t: TestPlatform;
  let capture: Awaited<ReturnType<typeof captureServer>>;
  const logs: string[] = [];
  let adminKey: string;
  let memberKey: string;
  let credentialId: string;

  before(async () => {
    capture = await captureServer();
    t = await startTestPlatform({}, { logLevel: 'debug', logs });
    const { store } = t.platform;
    adminKey = (await store.apiKeys.create(t.workspaceId, { name: 'admin', role: 'admin' })).key;
    memberKey = (await store.apiKeys.create(t.workspaceId, { name: 'member', role: 'member' })).key;
    const cred = await api('POST', '/v1/credentials', adminKey, { name: 'OpenAI production', value: SECRET });
    assert.equal(cred.statusCode, 201, cred.body);
    credentialId = cred.json().id;
  });
  after(async () => {
    await t?.close();
    await capture?.close();
  });

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, key: string, payload?: unknown) =>
    t.platform.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload ? { payload: payload as Record<string, unknown> } : {}),
    });

  const leaked = () => {
    const everything = logs.join('\n');
    return everything.includes(SECRET) || everything.includes('Incorrect API key');
  };

  test('creating or editing a provider that points the credential elsewhere is a 400 naming baseUrl', async () => {
    const created = await api('POST', '/v1/providers', memberKey, {
      name: 'my llm',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl: capture.url, model: 'gpt-4o-mini' },
      credentialId,
    });
    assert.equal(created.statusCode, 400, created.body);
    const err = created.json().error;
    assert.equal(err.code, 'validation_failed');
    assert.equal(err.details[0].path, 'body.settings.baseUrl');
    assert.match(err.details[0].message, /not an allowed host for credential "OpenAI production"/);
    assert.match(err.details[0].message, /an admin can add it to the credential's allowedHosts/);

    // At the vendor's own host the credential is fine; moving it afterwards is refused the same way.
    const ok = await api('POST', '/v1/providers', memberKey, {
      name: 'openai',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { model: 'gpt-4o-mini' },
      credentialId,
    });
    assert.equal(ok.statusCode, 201, ok.body);
    const moved = await api('PATCH', `/v1/providers/${ok.json().id}`, memberKey, {
      settings: { baseUrl: capture.url, model: 'gpt-4o-mini' },
    });
    assert.equal(moved.statusCode, 400, moved.body);
    assert.equal(moved.json().error.details[0].path, 'body.settings.baseUrl');
    assert.equal(capture.seen.length, 0);
  });

  test('a provider stored pointing elsewhere is refused when tested: the capture server sees nothing', async () => {
    // As if saved before the rule existed, or written around the API.
    const p = await t.platform.store.providers.create(t.workspaceId, {
      name: 'stored elsewhere',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl: capture.url, model: 'gpt-4o-mini' },
      credentialId,
    });
    const res = await api('POST', `/v1/providers/${p.id}/test`, memberKey);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().code, 'not_allowed');
    assert.match(res.json().message, /not an allowed host for credential "OpenAI production"/);
    assert.equal(capture.seen.length, 0, 'no request reached the capture server');
    assert.ok(!res.body.includes(SECRET));
  });

  test('only an admin may widen where a credential goes; the view shows the list', async () => {
    const byMember = await api('PATCH', `/v1/credentials/${credentialId}`, memberKey, {
      allowedHosts: [`127.0.0.1:${capture.port}`],
    });
    assert.equal(byMember.statusCode, 403);
    const bad = await api('PATCH', `/v1/credentials/${credentialId}`, adminKey, {
      allowedHosts: ['http://127.0.0.1/'],
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details[0].path, 'body.allowedHosts.0');
    const view = await api('GET', `/v1/credentials/${credentialId}`, memberKey);
    assert.deepEqual(view.json().allowedHosts, []);
  });

  test('an upstream 401 that repeats the key never reaches the answer or the logs', async () => {
    const allowed = await api('PATCH', `/v1/credentials/${credentialId}`, adminKey, {
      allowedHosts: [`127.0.0.1:${capture.port}`],
    });
    assert.equal(allowed.statusCode, 200, allowed.body);
    assert.deepEqual(allowed.json().allowedHosts, [`127.0.0.1:${capture.port}`]);
    const p = await api('POST', '/v1/providers', memberKey, {
      name: 'self-hosted',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { baseUrl: capture.url, model: 'gpt-4o-mini' },
      credentialId,
    });
    assert.equal(p.statusCode, 201, p.body);
    const res = await api('POST', `/v1/providers/${p.json().id}/test`, memberKey);
    assert.equal(res.json().code, 'bad_credentials');
    assert.equal(capture.secretsSeen(), 1, 'the admin allowed this host, so the key went there once');
    assert.ok(!res.body.includes(SECRET), res.body);
    assert.doesNotMatch(res.body, /Incorrect API key/);

    // A test chat on the same provider fails the same way, and says nothing of the body either.
    const agent = await api('POST', '/v1/agents', memberKey, {
      name: 'uses self-hosted',
      publish: true,
      config: { providers: { asr: ['local:pocketsphinx'], llm: [p.json().id], tts: ['local:espeak'] } },
    });
    assert.equal(agent.statusCode, 201, agent.body);
    const chat = await api('POST', `/v1/agents/${agent.json().id}/test-chat`, memberKey, {
      message: 'hello',
    });
    assert.equal(chat.statusCode, 422, chat.body);
    assert.match(chat.json().error.message, /HTTP 401: the service rejected the credential/);
    assert.ok(!chat.body.includes(SECRET), chat.body);
    assert.equal(leaked(), false, 'neither the key nor the upstream body is in any log line');

    // Taking the host off the credential stops the provider at once, whatever was saved.
    await api('PATCH', `/v1/credentials/${credentialId}`, adminKey, { allowedHosts: [] });
    const before = capture.seen.length;
    const again = await api('POST', `/v1/providers/${p.json().id}/test`, memberKey);
    assert.equal(again.json().code, 'not_allowed');
    const chat2 = await api('POST', `/v1/agents/${agent.json().id}/test-chat`, memberKey, { message: 'hi' });
    assert.equal(chat2.statusCode, 422, chat2.body);
    assert.match(chat2.json().error.message, /not an allowed host for credential "OpenAI production"/);
    assert.equal(capture.seen.length, before);
    assert.equal(leaked(), false);
  });
});

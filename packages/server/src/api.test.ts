import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './testing.js';

const UUID = '00000000-0000-4000-8000-000000000000';

describe('API security', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('every route outside health, docs and login refuses a request without credentials', async () => {
    const open = [/^\/health\//, /^\/docs/, /^\/openapi\.json$/, /^\/v1\/auth\/login$/, /^\/v1\/setup$/];
    const guarded = t.app.routeTable.filter((r) => !open.some((re) => re.test(r.url)));
    assert.ok(guarded.length >= 30, `expected the whole API in the route table, got ${guarded.length}`);
    for (const r of guarded) {
      const url = r.url
        .replace(/:version/g, '1')
        .replace(/:[a-zA-Z]+/g, UUID)
        .replace(/\*$/, 'x');
      const res = await t.app.inject({
        method: r.method as 'GET',
        url,
        payload: r.method === 'GET' || r.method === 'DELETE' ? undefined : {},
      });
      assert.equal(
        res.statusCode,
        401,
        `${r.method} ${r.url} answered ${res.statusCode} without credentials`,
      );
      assert.equal(res.json().error.code, 'unauthorized');
    }
    // The public ones really are reachable.
    assert.equal((await t.app.inject({ url: '/health/live' })).statusCode, 200);
    assert.equal((await t.app.inject({ url: '/openapi.json' })).statusCode, 200);
  });

  test('a revoked or wrong key is refused; the internal token does not open /v1', async () => {
    assert.equal(
      (await t.app.inject({ url: '/v1/agents', headers: bearer('sb_nothing_here') })).statusCode,
      401,
    );
    assert.equal(
      (await t.app.inject({ url: '/v1/agents', headers: bearer(t.internalToken) })).statusCode,
      401,
    );
    assert.equal((await t.app.inject({ url: '/metrics', headers: bearer(t.adminKey) })).statusCode, 401);
    const m = await t.app.inject({ url: '/metrics', headers: { 'x-internal-token': t.internalToken } });
    assert.equal(m.statusCode, 200);
    assert.match(m.body, /switchboard_http_request_duration_seconds/);
  });

  test('roles are enforced per route', async () => {
    const viewer = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(t.adminKey),
      payload: { name: 'read only', role: 'viewer' },
    });
    assert.equal(viewer.statusCode, 201);
    const key = viewer.json().key as string;
    assert.equal((await t.app.inject({ url: '/v1/agents', headers: bearer(key) })).statusCode, 200);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: bearer(key),
      payload: { name: 'x' },
    });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error.code, 'forbidden');
    const escalate = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(key),
      payload: { name: 'more', role: 'admin' },
    });
    assert.equal(escalate.statusCode, 403);
  });

  test('request ids are accepted, echoed and present in log lines', async () => {
    const res = await t.app.inject({
      url: '/v1/agents',
      headers: { ...bearer(t.adminKey), 'x-request-id': 'trace-abc-123' },
    });
    assert.equal(res.headers['x-request-id'], 'trace-abc-123');
    const lines = t.logs.filter((l) => l.includes('trace-abc-123'));
    assert.ok(lines.length >= 2, 'request and response lines carry the id');
    for (const l of lines) assert.equal(JSON.parse(l).requestId, 'trace-abc-123');
    const generated = await t.app.inject({ url: '/health/live' });
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  test('credentials never appear in responses or logs', async () => {
    const secret = 'sk-proj-SUPERSECRET-0123456789abcdef';
    const bodies: string[] = [];
    const c = await t.app.inject({
      method: 'POST',
      url: '/v1/credentials',
      headers: bearer(t.adminKey),
      payload: { name: 'openai', value: secret },
    });
    assert.equal(c.statusCode, 201);
    bodies.push(c.body);
    const id = c.json().id as string;
    assert.equal(c.json().masked, '••••cdef');
    bodies.push((await t.app.inject({ url: `/v1/credentials/${id}`, headers: bearer(t.adminKey) })).body);
    bodies.push((await t.app.inject({ url: '/v1/credentials', headers: bearer(t.adminKey) })).body);
    bodies.push(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/v1/credentials/${id}`,
          headers: bearer(t.adminKey),
          payload: { value: `${secret}-rotated` },
        })
      ).body,
    );
    // A bad request that echoes its input must not echo the secret either.
    bodies.push(
      (
        await t.app.inject({
          method: 'POST',
          url: '/v1/credentials',
          headers: bearer(t.adminKey),
          payload: { name: '', value: secret },
        })
      ).body,
    );
    for (const b of bodies) assert.ok(!b.includes('SUPERSECRET'), `response leaked the secret: ${b}`);
    assert.ok(t.logs.length > 0);
    for (const l of t.logs) {
      assert.ok(!l.includes('SUPERSECRET'), `log leaked the secret: ${l}`);
      assert.ok(!l.includes(t.adminKey), `log leaked the API key: ${l}`);
    }
  });
});

describe('tenant isolation', () => {
  let t: TestApp;
  let keyB: string;
  const ids: Record<string, string> = {};
  before(async () => {
    t = await createTestApp();
    const b = await t.store.accounts.createWorkspace('B');
    keyB = (await t.store.apiKeys.create(b.id, { name: 'b', role: 'admin' })).key;
    const post = async (url: string, payload: object) => {
      const r = await t.app.inject({ method: 'POST', url, headers: bearer(keyB), payload });
      assert.equal(r.statusCode, 201, r.body);
      return r.json().id as string;
    };
    ids.credential = await post('/v1/credentials', { name: 'b-secret', value: 'b-secret-value-12345' });
    ids.provider = await post('/v1/providers', {
      name: 'b-llm',
      kind: 'llm',
      type: 'openai-compatible',
      settings: { model: 'gpt-4o-mini' },
    });
    ids.agent = await post('/v1/agents', { name: 'b-agent', publish: true });
    ids['phone-number'] = await post('/v1/phone-numbers', {
      number: '+14155550177',
      connector: 'sip',
      agentId: ids.agent,
    });
    const call = await t.store.calls.create({
      workspaceId: b.id,
      direction: 'inbound',
      connector: 'sip',
      fromNumber: '+14155550100',
      toNumber: '+14155550177',
    });
    ids.call = call.id;
    ids.workspace = b.id;
  });
  after(() => t.close());

  test("a key from workspace A cannot read, change or delete workspace B's records", async () => {
    const a = bearer(t.adminKey);
    const paths: Record<string, string> = {
      credential: '/v1/credentials',
      provider: '/v1/providers',
      agent: '/v1/agents',
      'phone-number': '/v1/phone-numbers',
      call: '/v1/calls',
      workspace: '/v1/workspaces',
    };
    for (const [kind, base] of Object.entries(paths)) {
      const url = `${base}/${ids[kind]}`;
      const get = await t.app.inject({ url, headers: a });
      assert.equal(get.statusCode, 404, `GET ${kind}`);
      if (kind !== 'call') {
        const patch = await t.app.inject({ method: 'PATCH', url, headers: a, payload: { name: 'stolen' } });
        assert.ok([404, 400].includes(patch.statusCode), `PATCH ${kind} answered ${patch.statusCode}`);
      }
      if (kind !== 'call' && kind !== 'workspace') {
        assert.equal(
          (await t.app.inject({ method: 'DELETE', url, headers: a })).statusCode,
          404,
          `DELETE ${kind}`,
        );
      }
      const list = await t.app.inject({ url: base, headers: a });
      assert.ok(!list.body.includes(ids[kind]!), `list of ${kind} shows B's record`);
    }
    for (const sub of ['publish', 'rollback']) {
      const r = await t.app.inject({
        method: 'POST',
        url: `/v1/agents/${ids.agent}/${sub}`,
        headers: a,
        payload: sub === 'rollback' ? { version: 1 } : {},
      });
      assert.equal(r.statusCode, 404, sub);
    }
    assert.equal(
      (await t.app.inject({ url: `/v1/agents/${ids.agent}/versions`, headers: a })).statusCode,
      404,
    );
    // A's agent cannot be pointed at B's provider either.
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: a,
      payload: {
        name: 'thief',
        config: { providers: { llm: [ids.provider], asr: ['local:pocketsphinx'], tts: ['local:espeak'] } },
      },
    });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().error.details[0].path, 'body.config.providers.llm.0');
    // And B's records are intact.
    const still = await t.app.inject({ url: `/v1/agents/${ids.agent}`, headers: bearer(keyB) });
    assert.equal(still.json().name, 'b-agent');
  });
});

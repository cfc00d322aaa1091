import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from './testing.js';

describe('agents over the API', () => {
  let t: TestApp;
  let h: Record<string, string>;
  before(async () => {
    t = await createTestApp();
    h = bearer(t.adminKey);
  });
  after(() => t.close());

  const req = (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: h,
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  test('draft → publish → patch → publish → rollback; the resolver follows the published version', async () => {
    const created = await req('POST', '/v1/agents', {
      name: 'Front desk',
      config: { greeting: 'Hello {{name}}' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const id = created.json().id as string;
    assert.equal(created.json().currentVersion, null);
    assert.equal(created.json().draft.turnTaking.endOfTurnSilenceMs, 700);

    const v1 = await req('POST', `/v1/agents/${id}/publish`, { note: 'launch' });
    assert.equal(v1.statusCode, 201);
    assert.equal(v1.json().version, 1);
    assert.equal((await t.store.resolver.resolveAgent({ agentId: id })).config.greeting, 'Hello {{name}}');

    const patched = await req('PATCH', `/v1/agents/${id}`, {
      config: { greeting: 'Hi', idle: { maxReprompts: 1 } },
    });
    assert.equal(patched.statusCode, 200);
    assert.equal(patched.json().draft.greeting, 'Hi');
    assert.equal(patched.json().draft.idle.maxReprompts, 1);
    assert.equal(patched.json().draft.idle.repromptAfterMs, 8000, 'untouched fields keep their values');
    assert.equal(patched.json().hasUnpublishedChanges, true);
    assert.equal(
      (await t.store.resolver.resolveAgent({ agentId: id })).version,
      1,
      'drafts do not reach calls',
    );

    await req('POST', `/v1/agents/${id}/publish`);
    await waitFor(async () => (await t.store.resolver.resolveAgent({ agentId: id })).version === 2);
    assert.equal((await t.store.resolver.resolveAgent({ agentId: id })).config.greeting, 'Hi');

    const rb = await req('POST', `/v1/agents/${id}/rollback`, { version: 1 });
    assert.equal(rb.statusCode, 201);
    assert.equal(rb.json().version, 3);
    assert.equal(rb.json().sourceVersion, 1);
    await waitFor(async () => (await t.store.resolver.resolveAgent({ agentId: id })).version === 3);
    assert.equal((await t.store.resolver.resolveAgent({ agentId: id })).config.greeting, 'Hello {{name}}');

    const versions = await req('GET', `/v1/agents/${id}/versions?limit=2`);
    assert.deepEqual(
      versions.json().data.map((v: { version: number }) => v.version),
      [3, 2],
    );
    assert.ok(versions.json().nextCursor);
    assert.equal((await req('GET', `/v1/agents/${id}/versions/2`)).json().config.greeting, 'Hi');
    assert.equal((await req('GET', `/v1/agents/${id}/versions/9`)).statusCode, 404);
    assert.equal((await req('POST', `/v1/agents/${id}/rollback`, { version: 9 })).statusCode, 404);
  });

  test('parallel requests never leave two default inbound agents', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        req('POST', '/v1/agents', { name: `Parallel ${i}`, defaultInbound: true }),
      ),
    );
    for (const r of results) assert.ok([201, 409].includes(r.statusCode), r.body);
    const list = await req('GET', '/v1/agents?default=inbound');
    assert.equal(list.json().data.length, 1);
  });

  test('bad input: 4xx in the error shape naming the field, and nothing stored changes', async () => {
    const base = await req('POST', '/v1/agents', { name: 'Stable', config: { greeting: 'unchanged' } });
    const id = base.json().id as string;
    const cases: {
      method: string;
      url: string;
      payload?: unknown;
      raw?: string;
      status: number;
      path?: RegExp;
    }[] = [
      {
        method: 'POST',
        url: '/v1/agents',
        payload: { name: 'x', colour: 'blue' },
        status: 400,
        path: /^body\.colour$/,
      },
      { method: 'POST', url: '/v1/agents', payload: { name: 42 }, status: 400, path: /^body\.name$/ },
      {
        method: 'PATCH',
        url: `/v1/agents/${id}`,
        payload: { config: { turnTaking: { endOfTurnSilenceMs: -5 } } },
        status: 400,
        path: /^body\.config\.turnTaking\.endOfTurnSilenceMs$/,
      },
      {
        method: 'PATCH',
        url: `/v1/agents/${id}`,
        payload: { config: { mode: 'telepathy' } },
        status: 400,
        path: /^body\.config\.mode$/,
      },
      {
        method: 'POST',
        url: '/v1/phone-numbers',
        payload: { number: '+1555', connector: 'sip' },
        status: 400,
        path: /^body\.number$/,
      },
      {
        method: 'POST',
        url: '/v1/phone-numbers',
        payload: { number: '+99912345678', connector: 'sip' },
        status: 400,
        path: /^body\.number$/,
      },
      {
        method: 'POST',
        url: '/v1/phone-numbers',
        payload: { number: '+14155550100', connector: 'fax' },
        status: 400,
        path: /^body\.connector$/,
      },
      { method: 'GET', url: '/v1/agents/not-a-uuid', status: 400, path: /^params\.id$/ },
      { method: 'GET', url: '/v1/agents?limit=0', status: 400, path: /^querystring\.limit$/ },
      { method: 'GET', url: '/v1/agents?cursor=garbage', status: 400, path: /^query\.cursor$/ },
      {
        method: 'POST',
        url: '/v1/providers',
        payload: { name: 'p', kind: 'llm', type: 'nope' },
        status: 400,
        path: /^body\.type$/,
      },
      {
        method: 'POST',
        url: '/v1/providers',
        payload: { name: 'p', kind: 'tts', type: 'elevenlabs', settings: { voiceId: 7 } },
        status: 400,
        path: /^body\.(settings\.voiceId|credentialId)$/,
      },
      { method: 'POST', url: '/v1/agents', raw: '{"name": "broken",', status: 400 },
      { method: 'POST', url: '/v1/agents', raw: 'x'.repeat(2_000_000), status: 413 },
    ];
    for (const c of cases) {
      const res =
        c.raw !== undefined
          ? await t.app.inject({
              method: c.method as 'POST',
              url: c.url,
              headers: { ...h, 'content-type': 'application/json' },
              payload: c.raw,
            })
          : await req(c.method, c.url, c.payload);
      assert.equal(res.statusCode, c.status, `${c.method} ${c.url}: ${res.body.slice(0, 300)}`);
      const err = res.json().error;
      assert.equal(typeof err.code, 'string');
      assert.equal(typeof err.message, 'string');
      assert.ok(Array.isArray(err.details));
      if (c.path)
        assert.ok(
          err.details.some((d: { path: string }) => c.path!.test(d.path)),
          `${c.url}: ${JSON.stringify(err.details)}`,
        );
    }
    const after = await req('GET', `/v1/agents/${id}`);
    assert.equal(after.json().draft.greeting, 'unchanged');
    assert.equal(after.json().updatedAt, base.json().updatedAt);
  });

  test('phone numbers route to agents and reach the resolver', async () => {
    const a = await req('POST', '/v1/agents', { name: 'Sales line', publish: true });
    const n = await req('POST', '/v1/phone-numbers', {
      number: 'sales',
      connector: 'sip',
      agentId: a.json().id,
    });
    assert.equal(n.statusCode, 201, n.body);
    const r = await t.store.resolver.resolveAgent({ connector: 'sip', number: 'sales' });
    assert.equal(r.agentId, a.json().id);
    const dup = await req('POST', '/v1/phone-numbers', { number: 'sales', connector: 'sip' });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error.details[0].path, 'number');
    const internal = await t.app.inject({
      method: 'POST',
      url: '/internal/agents/resolve',
      headers: { 'x-internal-token': t.internalToken },
      payload: { connector: 'sip', number: 'sales' },
    });
    assert.equal(internal.statusCode, 200);
    assert.equal(internal.json().agentId, a.json().id);
  });
});

describe('login, sessions and first-owner setup', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ env: { PUBLIC_URL: 'https://switchboard.example.com' } });
  });
  after(() => t.close());

  test('setup token creates the first owner once; login sets a secure cookie; foreign origins cannot write', async () => {
    const { hashToken } = await import('@switchboard/store');
    await t.store.settings.set('setup_token_hash', hashToken('one-time-setup-token-123'));
    const bad = await t.app.inject({
      method: 'POST',
      url: '/v1/setup',
      payload: { token: 'wrong-token-000000', email: 'boss@example.com', password: 'a very long password' },
    });
    assert.equal(bad.statusCode, 401);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/setup',
      payload: {
        token: 'one-time-setup-token-123',
        email: 'boss@example.com',
        password: 'a very long password',
      },
    });
    assert.equal(ok.statusCode, 201, ok.body);
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/setup',
      payload: {
        token: 'one-time-setup-token-123',
        email: 'evil@example.com',
        password: 'a very long password',
      },
    });
    assert.equal(again.statusCode, 401, 'the token works once');

    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'boss@example.com', password: 'nope-nope-nope' },
    });
    assert.equal(wrong.statusCode, 401);
    const login = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: { email: 'boss@example.com', password: 'a very long password' },
    });
    assert.equal(login.statusCode, 200);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, /sb_session=/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /Secure/);
    assert.match(setCookie, /SameSite=Lax/);
    const cookie = setCookie.split(';')[0]!;

    const me = await t.app.inject({ url: '/v1/auth/me', headers: { cookie } });
    assert.equal(me.json().email, 'boss@example.com');
    assert.equal(me.json().role, 'owner');
    const sameSite = await t.app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: { cookie, origin: 'https://switchboard.example.com' },
      payload: { name: 'From the dashboard' },
    });
    assert.equal(sameSite.statusCode, 201);
    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: { cookie, origin: 'https://evil.example.net' },
      payload: { name: 'Forged' },
    });
    assert.equal(crossSite.statusCode, 403);
    // Without Origin, Sec-Fetch-Site or Referer decide; with none of the three a cookie write is refused.
    let n = 0;
    const write = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/agents',
        headers: { cookie, ...headers },
        payload: { name: `No origin ${++n}` },
      });
    assert.equal((await write({})).statusCode, 403);
    assert.match((await write({})).json().error.message, /needs an Origin header/);
    assert.equal((await write({ 'sec-fetch-site': 'cross-site' })).statusCode, 403);
    assert.equal((await write({ 'sec-fetch-site': 'same-site' })).statusCode, 403);
    assert.equal((await write({ referer: 'https://evil.example.net/page' })).statusCode, 403);
    assert.equal((await write({ referer: 'not a url' })).statusCode, 403);
    assert.equal((await write({ 'sec-fetch-site': 'same-origin' })).statusCode, 201);
    assert.equal((await write({ referer: 'https://switchboard.example.com/agents' })).statusCode, 201);
    const out = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      headers: { cookie, origin: 'https://switchboard.example.com' },
    });
    assert.equal(out.statusCode, 204);
    assert.equal((await t.app.inject({ url: '/v1/auth/me', headers: { cookie } })).statusCode, 401);
  });

  test('login is rate limited', async () => {
    let limited = 0;
    for (let i = 0; i < 15; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        remoteAddress: '10.9.9.9',
        payload: { email: 'x@example.com', password: 'guess' },
      });
      if (r.statusCode === 429) {
        limited++;
        assert.equal(r.json().error.code, 'rate_limited');
      }
    }
    assert.ok(limited >= 5, `expected 429s after 10 attempts, got ${limited}`);
  });
});

describe('documentation and health', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('OpenAPI 3 is generated from the route schemas and the docs page is served', async () => {
    const spec = (await t.app.inject({ url: '/openapi.json' })).json();
    assert.match(spec.openapi, /^3\./);
    for (const p of [
      '/v1/agents',
      '/v1/agents/{id}/publish',
      '/v1/credentials',
      '/v1/phone-numbers',
      '/v1/calls',
      '/v1/api-keys',
      '/v1/users',
    ]) {
      assert.ok(spec.paths[p], `spec lacks ${p}`);
    }
    const body = spec.paths['/v1/agents'].post.requestBody.content['application/json'].schema;
    assert.ok(JSON.stringify(body).includes('endOfTurnSilenceMs'), 'agent config is documented');
    // Public operations say they need no credentials; the rest name their schemes.
    assert.deepEqual(spec.paths['/v1/auth/login'].post.security, []);
    assert.deepEqual(spec.paths['/health/ready'].get.security, []);
    assert.equal(spec.paths['/v1/agents'].get.security, undefined, 'the document default applies');
    // What Switchboard sends: every event a webhook can subscribe to, with its payload.
    for (const type of ['call.started', 'transcript.final', 'call.ended', 'call.analyzed']) {
      assert.ok(spec.webhooks?.[type]?.post, `webhooks lacks ${type}`);
    }
    const ended = spec.webhooks['call.ended'].post.requestBody.content['application/json'].schema;
    assert.ok(ended.properties.data.properties.endedReason.enum.includes('caller-hangup'));
    assert.ok(
      spec.webhooks['call.ended'].post.parameters.some(
        (p: { name: string }) => p.name === 'X-Switchboard-Signature',
      ),
    );
    const docs = await t.app.inject({ url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.body, /swagger/i);
  });

  test('readiness reports the database and migrations; security headers are set', async () => {
    const r = await t.app.inject({ url: '/health/ready' });
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().status, 'ready');
    assert.ok(
      r
        .json()
        .checks.some((c: { name: string; state: string }) => c.name === 'migrations' && c.state === 'up'),
    );
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.ok(r.headers['content-security-policy']);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
});

async function waitFor(cond: () => Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met');
}

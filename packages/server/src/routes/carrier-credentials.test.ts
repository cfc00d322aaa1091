import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { carrierCredentialChecker, FakeRestServer } from '@switchboard/telephony';
import { bearer, createTestApp, type TestApp } from '../testing.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token-0001';
const NEW_TOKEN = 'twilio-auth-token-0002';
const AUTH_ID = 'MAZJKLMNOPQRSTUVWXYZ';
const PLIVO_TOKEN = 'plivo-auth-token-0001';
const API_KEY = 'KEY0123456789';
const CONNECTION = '1494404757140276705';
const PUBLIC_KEY = generateKeyPairSync('ed25519')
  .publicKey.export({ format: 'der', type: 'spki' })
  .subarray(-32)
  .toString('base64');
const telnyx = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ apiKey: API_KEY, publicKey: PUBLIC_KEY, connectionId: CONNECTION, ...o });

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('carrier credentials are checked against the carrier when saved', () => {
  let t: TestApp;
  let fake: FakeRestServer;
  let memberKey: string;
  let viewerKey: string;
  // Read by the check on every call, so a test can point one carrier elsewhere.
  const apiUrls: Record<'twilio' | 'plivo' | 'telnyx', string> = { twilio: '', plivo: '', telnyx: '' };

  before(async () => {
    fake = await FakeRestServer.start();
    fake.accounts = {
      twilio: { [SID]: { authToken: TOKEN } },
      plivo: { [AUTH_ID]: { authToken: PLIVO_TOKEN } },
      telnyx: { apiKeys: [API_KEY], connectionIds: [CONNECTION] },
    };
    Object.assign(apiUrls, { twilio: fake.url, plivo: fake.url, telnyx: fake.url });
    t = await createTestApp({
      validateCarrierCredential: carrierCredentialChecker({
        apiUrls,
        retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
      }),
    });
    memberKey = (await t.store.apiKeys.create(t.workspaceId, { name: 'member', role: 'member' })).key;
    viewerKey = (await t.store.apiKeys.create(t.workspaceId, { name: 'viewer', role: 'viewer' })).key;
  });
  after(async () => {
    await t.close();
    await fake.close();
  });

  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown, key = t.adminKey) =>
    t.app.inject({ method, url, headers: bearer(key), ...(payload ? { payload } : {}) });
  const create = (name: string, value: string, query = '') =>
    call('POST', `/v1/credentials${query}`, { name, value });
  const names = async () =>
    ((await call('GET', '/v1/credentials?limit=100')).json().data as { name: string }[]).map((c) => c.name);
  const secretOf = async (name: string) =>
    (await t.store.credentials.revealByName(name, t.workspaceId))?.secret;
  const removeAll = async () => {
    for (const c of (await call('GET', '/v1/credentials?limit=100')).json().data as { id: string }[]) {
      await t.store.credentials.delete(t.workspaceId, c.id);
    }
  };
  const error = (res: { json(): unknown }) =>
    (res.json() as { error: { message: string; details: unknown } }).error;

  test('twilio: a working token is stored; a wrong one is a 422 naming the account and nothing is stored', async () => {
    await removeAll();
    const bad = await create(`twilio:${SID}`, 'wrong-token');
    assert.equal(bad.statusCode, 422, bad.body);
    assert.deepEqual(error(bad), {
      code: 'validation_failed',
      message: `twilio: account ${SID} rejected the auth token (HTTP 401)`,
      details: [{ path: 'body.value', message: `twilio: account ${SID} rejected the auth token (HTTP 401)` }],
    });
    assert.deepEqual(await names(), []);
    const good = await create(`twilio:${SID}`, TOKEN);
    assert.equal(good.statusCode, 201, good.body);
    assert.equal(await secretOf(`twilio:${SID}`), TOKEN);
    // The secret went to the carrier as basic auth on the Account resource, and nowhere else.
    assert.equal(fake.requests.at(-1)?.path, `/2010-04-01/Accounts/${SID}.json`);
  });

  test('malformed names and secrets are refused naming the field, without asking the carrier', async () => {
    await removeAll();
    const before = fake.requests.length;
    const cases: [string, string, string, string][] = [
      ['twilio:', TOKEN, 'body.name', 'twilio: the name must be twilio:<AccountSid>'],
      [
        'twilio:AC12',
        TOKEN,
        'body.name',
        'twilio: "AC12" is not an Account SID (AC followed by 32 hexadecimal digits)',
      ],
      [
        'telnyx',
        'not json',
        'body.value',
        'telnyx: the secret must be JSON: {"apiKey":"…","publicKey":"…","connectionId":"…"}',
      ],
      [
        'telnyx',
        telnyx({ connectionId: undefined }),
        'body.value.connectionId',
        'telnyx: connectionId is missing',
      ],
      [
        'telnyx',
        telnyx({ publicKey: Buffer.alloc(16).toString('base64') }),
        'body.value.publicKey',
        'telnyx: publicKey is not a base64 Ed25519 public key (32 bytes)',
      ],
    ];
    for (const [name, value, path, message] of cases) {
      const res = await create(name, value);
      assert.equal(res.statusCode, 422, `${name}: ${res.body}`);
      assert.deepEqual(error(res), { code: 'validation_failed', message, details: [{ path, message }] });
    }
    assert.equal(fake.requests.length, before);
    assert.deepEqual(await names(), []);
  });

  test('plivo and telnyx: success and each refusal with the carrier status', async () => {
    await removeAll();
    const plivoBad = await create(`plivo:${AUTH_ID}`, 'nope');
    assert.equal(plivoBad.statusCode, 422);
    assert.equal(error(plivoBad).message, `plivo: account ${AUTH_ID} rejected the auth token (HTTP 401)`);
    assert.equal((await create(`plivo:${AUTH_ID}`, PLIVO_TOKEN)).statusCode, 201);

    const keyBad = await create('telnyx', telnyx({ apiKey: 'KEYwrong' }));
    assert.equal(keyBad.statusCode, 422);
    assert.deepEqual(error(keyBad).details, [
      { path: 'body.value.apiKey', message: 'telnyx: the API key was rejected (HTTP 401)' },
    ]);
    const noConn = await create('telnyx', telnyx({ connectionId: '123' }));
    assert.equal(noConn.statusCode, 422);
    assert.equal(error(noConn).message, 'telnyx: connection 123 not found (HTTP 404)');
    assert.deepEqual(await names(), [`plivo:${AUTH_ID}`]);
    assert.equal((await create('telnyx', telnyx())).statusCode, 201);
    assert.equal(fake.requests.at(-1)?.path, `/v2/call_control_applications/${CONNECTION}`);
  });

  test('a carrier that does not answer is a 502 naming its host, and nothing is stored', async () => {
    await removeAll();
    const port = await closedPort();
    apiUrls.plivo = `http://127.0.0.1:${port}`;
    try {
      const res = await create(`plivo:${AUTH_ID}`, PLIVO_TOKEN);
      assert.equal(res.statusCode, 502, res.body);
      assert.deepEqual(error(res), {
        code: 'provider_error',
        message: `plivo: could not reach 127.0.0.1:${port} (ECONNREFUSED)`,
        details: [],
      });
    } finally {
      apiUrls.plivo = fake.url;
    }
    fake.script.push({ status: 503 }, { status: 503 });
    const busy = await create(`twilio:${SID}`, TOKEN);
    assert.equal(busy.statusCode, 502);
    assert.match(error(busy).message, /^twilio: 127\.0\.0\.1:\d+ answered HTTP 503/);
    assert.deepEqual(await names(), []);
  });

  test('an update with a bad secret keeps the old one; a good one replaces it', async () => {
    await removeAll();
    const id = (await create(`twilio:${SID}`, TOKEN)).json().id as string;
    const bad = await call('PATCH', `/v1/credentials/${id}`, { value: 'typo-token' });
    assert.equal(bad.statusCode, 422);
    assert.equal(error(bad).message, `twilio: account ${SID} rejected the auth token (HTTP 401)`);
    assert.equal(await secretOf(`twilio:${SID}`), TOKEN);

    // The carrier rotated the token: the new one passes, the credential holds it.
    fake.accounts = { ...fake.accounts, twilio: { [SID]: { authToken: NEW_TOKEN } } };
    try {
      const good = await call('PATCH', `/v1/credentials/${id}`, { value: NEW_TOKEN });
      assert.equal(good.statusCode, 200, good.body);
      assert.equal(await secretOf(`twilio:${SID}`), NEW_TOKEN);
    } finally {
      fake.accounts = { ...fake.accounts, twilio: { [SID]: { authToken: TOKEN } } };
    }

    // Changing only where it may be sent asks nobody.
    const before = fake.requests.length;
    assert.equal(
      (await call('PATCH', `/v1/credentials/${id}`, { allowedHosts: ['127.0.0.1'] })).statusCode,
      200,
    );
    assert.equal(fake.requests.length, before);
  });

  test('renaming a credential into a carrier account checks the stored secret under the new name', async () => {
    await removeAll();
    const id = (await create('spare', 'not-the-token')).json().id as string;
    const res = await call('PATCH', `/v1/credentials/${id}`, { name: `twilio:${SID}` });
    assert.equal(res.statusCode, 422);
    assert.equal(error(res).message, `twilio: account ${SID} rejected the auth token (HTTP 401)`);
    assert.deepEqual(await names(), ['spare']);
    const renamed = await call('PATCH', `/v1/credentials/${id}`, { name: `twilio:${SID}`, value: TOKEN });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.deepEqual(await names(), [`twilio:${SID}`]);
  });

  test('validate=false skips the carrier but not the form, and is the admins’ like every credential write', async () => {
    await removeAll();
    const before = fake.requests.length;
    const res = await create(`twilio:${SID}`, 'unchecked-token', '?validate=false');
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(fake.requests.length, before);
    assert.ok(t.logs.some((l) => l.includes('stored without asking the carrier')));
    assert.ok(!t.logs.some((l) => l.includes('unchecked-token')), 'the secret is never logged');
    const malformed = await create('twilio:ACnope', 'x', '?validate=false');
    assert.equal(malformed.statusCode, 422);
    const member = await call(
      'POST',
      '/v1/credentials?validate=false',
      { name: 'telnyx', value: telnyx() },
      memberKey,
    );
    assert.equal(member.statusCode, 403);
  });

  test('POST /credentials/{id}/test re-runs the check with the stored secret', async () => {
    await removeAll();
    const id = (await create(`twilio:${SID}`, TOKEN)).json().id as string;
    const ok = await call('POST', `/v1/credentials/${id}/test`);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), {
      ok: true,
      carrier: 'twilio',
      failure: null,
      check: null,
      message: `twilio: account ${SID} accepted the auth token`,
      httpStatus: null,
    });
    // The token was rotated at the carrier since: the test says so.
    fake.accounts = { ...fake.accounts, twilio: { [SID]: { authToken: NEW_TOKEN } } };
    try {
      const stale = await call('POST', `/v1/credentials/${id}/test`);
      assert.deepEqual(stale.json(), {
        ok: false,
        carrier: 'twilio',
        failure: 'rejected',
        check: 'auth',
        message: `twilio: account ${SID} rejected the auth token (HTTP 401)`,
        httpStatus: 401,
      });
    } finally {
      fake.accounts = { ...fake.accounts, twilio: { [SID]: { authToken: TOKEN } } };
    }
    fake.script.push({ status: 500 }, { status: 500 });
    const down = (await call('POST', `/v1/credentials/${id}/test`)).json();
    assert.deepEqual([down.ok, down.failure, down.httpStatus], [false, 'unreachable', 500]);

    const other = (await create('openai-production', 'sk-proj-1234')).json().id as string;
    const none = await call('POST', `/v1/credentials/${other}/test`);
    assert.equal(none.statusCode, 422);
    assert.match(
      error(none).message,
      /^credential "openai-production" is not a carrier account .*no carrier check/,
    );
    const unknown = await call('POST', '/v1/credentials/3c9d2e7a-1b4f-4a8e-9d6c-7e5f4a3b2c1d/test');
    assert.equal(unknown.statusCode, 404);
  });

  test('members and viewers neither save, change nor test carrier credentials, and never see a secret', async () => {
    await removeAll();
    const id = (await create(`twilio:${SID}`, TOKEN)).json().id as string;
    const before = fake.requests.length;
    for (const key of [memberKey, viewerKey]) {
      assert.equal(
        (await call('POST', '/v1/credentials', { name: `plivo:${AUTH_ID}`, value: PLIVO_TOKEN }, key))
          .statusCode,
        403,
      );
      assert.equal((await call('PATCH', `/v1/credentials/${id}`, { value: 'x-token' }, key)).statusCode, 403);
      assert.equal((await call('POST', `/v1/credentials/${id}/test`, undefined, key)).statusCode, 403);
      const read = await call('GET', `/v1/credentials/${id}`, undefined, key);
      assert.equal(read.statusCode, 200);
      assert.ok(!read.body.includes(TOKEN));
    }
    assert.equal(fake.requests.length, before, 'nothing reached the carrier');
    assert.equal(await secretOf(`twilio:${SID}`), TOKEN);
  });
});

describe('a server without carrier checks', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('stores a carrier credential only when told not to check it; others as ever', async () => {
    const post = (payload: Record<string, string>, query = '') =>
      t.app.inject({ method: 'POST', url: `/v1/credentials${query}`, headers: bearer(t.adminKey), payload });
    const refused = await post({ name: `twilio:${SID}`, value: TOKEN });
    assert.equal(refused.statusCode, 501);
    assert.match(refused.json().error.message, /carrier credential checks are not enabled/);
    assert.equal((await post({ name: `twilio:${SID}`, value: TOKEN }, '?validate=false')).statusCode, 201);
    assert.equal((await post({ name: 'openai', value: 'sk-1234' })).statusCode, 201);
  });
});

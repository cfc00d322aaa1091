import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { carrierCredentialChecker } from './carrier-credentials.js';
import { FakeRestServer } from './ws-media/fake-rest-server.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const OTHER_SID = 'ACfedcba9876543210fedcba9876543210';
const TOKEN = 'twilio-auth-token-0001';
const AUTH_ID = 'MAZJKLMNOPQRSTUVWXYZ';
const PLIVO_TOKEN = 'plivo-auth-token-0001';
const API_KEY = 'KEY0123456789';
const PUBLIC_KEY = generateKeyPairSync('ed25519')
  .publicKey.export({ format: 'der', type: 'spki' })
  .subarray(-32)
  .toString('base64');
const FAST = { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 };

const telnyx = (o: Record<string, unknown> = {}) =>
  JSON.stringify({ apiKey: API_KEY, publicKey: PUBLIC_KEY, connectionId: '1494404757140276705', ...o });

describe('carrier credential checks against the carriers’ REST APIs', () => {
  let fake: FakeRestServer;
  let check: ReturnType<typeof carrierCredentialChecker>;

  before(async () => {
    fake = await FakeRestServer.start();
    fake.accounts = {
      twilio: { [SID]: { authToken: TOKEN }, [OTHER_SID]: { authToken: 'closed-token', status: 'closed' } },
      plivo: { [AUTH_ID]: { authToken: PLIVO_TOKEN } },
      telnyx: { apiKeys: [API_KEY], connectionIds: ['1494404757140276705'] },
    };
    fake.fallback = () => ({ status: 500, body: { message: 'unexpected request' } });
    check = carrierCredentialChecker({
      apiUrls: { twilio: fake.url, plivo: fake.url, telnyx: fake.url },
      retry: FAST,
    });
  });
  after(() => fake.close());

  const run = (name: string, secret: string, remote = true) => check({ name, secret, remote });

  test('other credentials have no carrier check', async () => {
    assert.equal(await run('openai-production', 'sk-1'), null);
    assert.equal(await run('twilioish', 'x'), null);
  });

  test('twilio: the Account resource with basic auth SID:token', async () => {
    fake.requests.length = 0;
    const ok = await run(`twilio:${SID}`, TOKEN);
    assert.deepEqual(ok, {
      ok: true,
      carrier: 'twilio',
      message: `twilio: account ${SID} accepted the auth token`,
    });
    const [req] = fake.requests;
    assert.equal(req?.method, 'GET');
    assert.equal(req?.path, `/2010-04-01/Accounts/${SID}.json`);
    assert.equal(req?.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
  });

  test('twilio: a wrong token, an unknown account, a closed one', async () => {
    assert.deepEqual(await run(`twilio:${SID}`, 'wrong'), {
      ok: false,
      carrier: 'twilio',
      failure: 'rejected',
      check: 'auth',
      field: 'value',
      message: `twilio: account ${SID} rejected the auth token (HTTP 401)`,
      httpStatus: 401,
    });
    fake.script.push({ status: 404, body: { code: 20404, message: 'not found' } });
    const missing = await run(`twilio:${SID}`, TOKEN);
    assert.equal(missing?.ok, false);
    assert.equal(!missing?.ok && missing?.message, `twilio: account ${SID} not found (HTTP 404)`);
    const closed = await run(`twilio:${OTHER_SID}`, 'closed-token');
    assert.equal(!closed?.ok && closed?.message, `twilio: account ${OTHER_SID} is closed`);
  });

  test('twilio: malformed names and secrets are refused before anything is sent', async () => {
    fake.requests.length = 0;
    const cases: [string, string, string, string][] = [
      ['twilio:', TOKEN, 'name', 'twilio: the name must be twilio:<AccountSid>'],
      [
        'twilio:AC123',
        TOKEN,
        'name',
        'twilio: "AC123" is not an Account SID (AC followed by 32 hexadecimal digits)',
      ],
      [`Twilio:${SID}`, TOKEN, 'name', 'twilio: the name must be twilio:<AccountSid> in lowercase'],
      [`twilio:${SID}`, '   ', 'value', 'twilio: the secret must be the auth token'],
      [`twilio:${SID}`, `${TOKEN}\n`, 'value', 'twilio: the auth token has spaces or line breaks around it'],
    ];
    for (const [name, secret, field, message] of cases) {
      const r = await run(name, secret);
      assert.deepEqual(
        r && !r.ok ? { failure: r.failure, field: r.field, message: r.message, httpStatus: r.httpStatus } : r,
        { failure: 'malformed', field, message, httpStatus: null },
        name,
      );
    }
    assert.equal(fake.requests.length, 0);
  });

  test('plivo: the account with basic auth id:token; a wrong token; another account', async () => {
    fake.requests.length = 0;
    assert.deepEqual(await run(`plivo:${AUTH_ID}`, PLIVO_TOKEN), {
      ok: true,
      carrier: 'plivo',
      message: `plivo: account ${AUTH_ID} accepted the auth token`,
    });
    assert.equal(fake.requests[0]?.path, `/v1/Account/${AUTH_ID}/`);
    const bad = await run(`plivo:${AUTH_ID}`, 'nope');
    assert.equal(!bad?.ok && bad?.message, `plivo: account ${AUTH_ID} rejected the auth token (HTTP 401)`);
    fake.script.push({ status: 404, body: { error: 'not found' } });
    const missing = await run(`plivo:${AUTH_ID}`, PLIVO_TOKEN);
    assert.equal(!missing?.ok && missing?.message, `plivo: account ${AUTH_ID} not found (HTTP 404)`);
    const malformed = await run('plivo:MA/../x', PLIVO_TOKEN);
    assert.equal(!malformed?.ok && malformed?.failure, 'malformed');
    assert.equal(!malformed?.ok && malformed?.field, 'name');
  });

  test('telnyx: the Call Control application with the Bearer key', async () => {
    fake.requests.length = 0;
    assert.deepEqual(await run('telnyx', telnyx()), {
      ok: true,
      carrier: 'telnyx',
      message: 'telnyx: the API key works and connection 1494404757140276705 exists',
    });
    const [req] = fake.requests;
    assert.equal(req?.path, '/v2/call_control_applications/1494404757140276705');
    assert.equal(req?.headers.authorization, `Bearer ${API_KEY}`);
  });

  test('telnyx: a wrong key, a missing connection', async () => {
    const bad = await run('telnyx', telnyx({ apiKey: 'KEYwrong' }));
    assert.deepEqual(bad && !bad.ok ? [bad.check, bad.field, bad.message] : bad, [
      'auth',
      'value.apiKey',
      'telnyx: the API key was rejected (HTTP 401)',
    ]);
    const missing = await run('telnyx', telnyx({ connectionId: '123' }));
    assert.deepEqual(missing && !missing.ok ? [missing.check, missing.field, missing.message] : missing, [
      'connection',
      'value.connectionId',
      'telnyx: connection 123 not found (HTTP 404)',
    ]);
  });

  test('telnyx: the secret must be JSON with the three fields and an Ed25519 key', async () => {
    fake.requests.length = 0;
    const cases: [string, string, string][] = [
      [
        'not json',
        'value',
        'telnyx: the secret must be JSON: {"apiKey":"…","publicKey":"…","connectionId":"…"}',
      ],
      ['[1]', 'value', 'telnyx: the secret must be JSON: {"apiKey":"…","publicKey":"…","connectionId":"…"}'],
      [telnyx({ apiKey: '' }), 'value.apiKey', 'telnyx: apiKey must be a non-empty string'],
      [telnyx({ publicKey: undefined }), 'value.publicKey', 'telnyx: publicKey is missing'],
      [
        telnyx({ apiKey: ` ${API_KEY}` }),
        'value.apiKey',
        'telnyx: apiKey has spaces or line breaks around it',
      ],
      [telnyx({ connectionId: 42 }), 'value.connectionId', 'telnyx: connectionId must be a non-empty string'],
      [
        telnyx({ publicKey: Buffer.alloc(31, 1).toString('base64') }),
        'value.publicKey',
        'telnyx: publicKey is not a base64 Ed25519 public key (32 bytes)',
      ],
      [
        telnyx({ publicKey: 'not base64 at all, but 44 characters long.!' }),
        'value.publicKey',
        'telnyx: publicKey is not a base64 Ed25519 public key (32 bytes)',
      ],
    ];
    for (const [secret, field, message] of cases) {
      const r = await run('telnyx', secret);
      assert.deepEqual(
        r && !r.ok ? [r.failure, r.field, r.message] : r,
        ['malformed', field, message],
        secret,
      );
    }
    const name = await run('telnyx:main', telnyx());
    assert.equal(!name?.ok && name?.message, 'telnyx: the name must be exactly "telnyx"');
    assert.equal(fake.requests.length, 0);
  });

  test('without the remote check only the form is checked and nothing is sent', async () => {
    fake.requests.length = 0;
    const r = await run(`twilio:${SID}`, 'any-token', false);
    assert.equal(r?.ok, true);
    const bad = await run('twilio:AC1', 'any-token', false);
    assert.equal(bad?.ok, false);
    assert.equal(fake.requests.length, 0);
  });

  test('a carrier that answers 5xx or 429 is unreachable, not a rejection', async () => {
    fake.script.push({ status: 503, body: {} }, { status: 503, body: {} });
    const r = await run(`twilio:${SID}`, TOKEN);
    const host = new URL(fake.url).host;
    assert.deepEqual(r && !r.ok ? [r.failure, r.httpStatus, r.message] : r, [
      'unreachable',
      503,
      `twilio: ${host} answered HTTP 503; nothing is known about the credential yet, try again`,
    ]);
  });

  test('a carrier nobody listens for is unreachable, naming its host', async () => {
    // A port that was free a moment ago: connecting to it is refused.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const offline = carrierCredentialChecker({ apiUrls: { plivo: `http://127.0.0.1:${port}` }, retry: FAST });
    const r = await offline({ name: `plivo:${AUTH_ID}`, secret: PLIVO_TOKEN, remote: true });
    assert.deepEqual(r && !r.ok ? [r.failure, r.check, r.httpStatus, r.message] : r, [
      'unreachable',
      'connect',
      null,
      `plivo: could not reach 127.0.0.1:${port} (ECONNREFUSED)`,
    ]);
  });
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CarrierError } from '../ws-media/carrier-error.js';
import { FakeRestServer } from '../ws-media/fake-rest-server.js';
import { twilioOutbound } from './twilio-outbound.js';
import { TwilioRestClient } from './twilio-rest.js';

const CREDS = { accountSid: 'AC22222222222222222222222222222222', authToken: 'tok-secret' };
const FAST = { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 2 };
let fake: FakeRestServer;

before(async () => {
  fake = await FakeRestServer.start();
});
after(() => fake.close());

const client = () => new TwilioRestClient(CREDS, { baseUrl: fake.url, retry: FAST });

test('placeCall: basic auth, form body, call SID back', async () => {
  fake.requests.length = 0;
  fake.script.push({ status: 201, body: { sid: 'CA9', status: 'queued' } });
  const dialer = twilioOutbound({
    publicUrl: 'https://agent.example.net/',
    getCredentials: async (l) => (l.number === '+15559870002' ? CREDS : null),
    rest: { baseUrl: fake.url, retry: FAST },
  });
  const res = await dialer.placeCall({
    from: '+15559870002',
    to: '+15551230001',
    ref: 'call_1',
    timeoutSeconds: 30,
  });
  const { hangup, ...placed } = res;
  assert.deepEqual(placed, { callSid: 'CA9', status: 'queued', accountSid: CREDS.accountSid });
  const [req] = fake.requests;
  assert.ok(req);
  assert.equal(req.method, 'POST');
  assert.equal(req.path, `/2010-04-01/Accounts/${CREDS.accountSid}/Calls.json`);
  assert.equal(
    req.headers.authorization,
    `Basic ${Buffer.from(`${CREDS.accountSid}:tok-secret`).toString('base64')}`,
  );
  assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.deepEqual(req.form, {
    To: '+15551230001',
    From: '+15559870002',
    Url: 'https://agent.example.net/twilio/voice?ref=call_1',
    Method: 'POST',
    StatusCallback: 'https://agent.example.net/twilio/status?ref=call_1',
    StatusCallbackMethod: 'POST',
    StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    Timeout: '30',
  });
  await hangup();
  assert.equal(fake.requests.at(-1)?.path, `/2010-04-01/Accounts/${CREDS.accountSid}/Calls/CA9.json`);
  assert.deepEqual(fake.requests.at(-1)?.form, { Status: 'completed' });
});

test('401 is a clear, non-retryable error after one attempt', async () => {
  fake.requests.length = 0;
  fake.script.push({ status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } });
  await assert.rejects(
    client().placeCall({ to: '+1', from: '+2', url: 'https://x/voice' }),
    (e: unknown) =>
      e instanceof CarrierError &&
      !e.retryable &&
      e.httpStatus === 401 &&
      e.carrierCode === '20003' &&
      /rejected the credentials/.test(e.message),
  );
  assert.equal(fake.requests.length, 1);
});

test('429 and 5xx are retried', async () => {
  fake.requests.length = 0;
  fake.script.push({ status: 429, body: { code: 20429, message: 'Too many requests' } });
  fake.script.push({ status: 503, body: { message: 'unavailable' } });
  fake.script.push({ status: 201, body: { sid: 'CA10', status: 'queued' } });
  const res = await client().placeCall({ to: '+1', from: '+2', url: 'https://x/voice' });
  assert.equal(res.callSid, 'CA10');
  assert.equal(fake.requests.length, 3);
});

test('retries run out with a retryable error', async () => {
  fake.requests.length = 0;
  for (let i = 0; i < 3; i++) fake.script.push({ status: 500, body: { message: 'boom' } });
  await assert.rejects(
    client().placeCall({ to: '+1', from: '+2', url: 'https://x/voice' }),
    (e: unknown) => e instanceof CarrierError && e.retryable && e.httpStatus === 500,
  );
  assert.equal(fake.requests.length, 3);
});

test('other 4xx are not retried and carry the carrier message', async () => {
  fake.requests.length = 0;
  fake.script.push({
    status: 400,
    body: { code: 21211, message: "The 'To' number is not a valid phone number." },
  });
  await assert.rejects(
    client().placeCall({ to: 'x', from: '+2', url: 'https://x/voice' }),
    /not a valid phone number/,
  );
  assert.equal(fake.requests.length, 1);
});

test('hangup posts Status=completed and treats 404 as done; redirect posts Twiml', async () => {
  fake.requests.length = 0;
  fake.script.push({ status: 200, body: { sid: 'CA1' } }, { status: 404, body: { code: 20404 } });
  await client().hangup('CA1');
  await client().hangup('CA1');
  await client().redirect('CA1', '<Response/>');
  assert.deepEqual(
    fake.requests.map((r) => [r.path.split('/').at(-1), r.form]),
    [
      ['CA1.json', { Status: 'completed' }],
      ['CA1.json', { Status: 'completed' }],
      ['CA1.json', { Twiml: '<Response/>' }],
    ],
  );
});

test('network failure is retryable', async () => {
  const dead = new TwilioRestClient(CREDS, {
    baseUrl: 'http://127.0.0.1:1',
    retry: { ...FAST, maxRetries: 0 },
  });
  await assert.rejects(
    dead.hangup('CA1'),
    (e: unknown) => e instanceof CarrierError && e.retryable && e.httpStatus === 0,
  );
});

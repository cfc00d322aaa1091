import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type EndedReason, silentLogger } from '@switchboard/core';
import type { AudioFrame } from '@switchboard/media';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CarrierStatusUpdate } from '../ws-media/call-status.js';
import { FakeRestServer } from '../ws-media/fake-rest-server.js';
import { loadFixture } from '../ws-media/scripted-socket.js';
import type { PlivoCallLeg } from './plivo-call-leg.js';
import { plivoOutbound, plivoPlugin } from './plivo-plugin.js';
import { ScriptedPlivo, type ScriptedPlivoStream } from './scripted-plivo.js';

const PUBLIC = 'https://agent.example.net';
const AUTH_ID = 'MAXXXXXXXXXXXXXXXXXX';
const TOKEN = 'plivo-auth-token';
const CALL = '5f1e2d3c-0000-4000-8000-000000000001';
const STREAM = 'b2c7a1d0-0000-4000-8000-000000000002';
const CREDS = { authId: AUTH_ID, authToken: TOKEN };
const FAST = { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 1 };

let app: FastifyInstance;
let rest: FakeRestServer;
let plivo: ScriptedPlivo;
const legs: PlivoCallLeg[] = [];
const statuses: CarrierStatusUpdate[] = [];

before(async () => {
  rest = await FakeRestServer.start();
  app = Fastify();
  await app.register(
    plivoPlugin({
      publicUrl: PUBLIC,
      logger: silentLogger(),
      getCredentials: async (l) => (l.number === '+14155550199' || l.authId === AUTH_ID ? CREDS : null),
      resolveCall: () => ({ accept: true, parameters: { agentId: 'support-bot' } }),
      onCall: (leg) => {
        legs.push(leg);
      },
      onStatus: (u) => {
        statuses.push(u);
      },
      rest: { baseUrl: rest.url, retry: FAST },
      startTimeoutMs: 1000,
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  plivo = new ScriptedPlivo({ appUrl, publicUrl: PUBLIC, authId: AUTH_ID, authToken: TOKEN });
});

after(async () => {
  await app.close();
  await rest.close();
});

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

async function startCall(
  callUuid = CALL,
  streamId = STREAM,
): Promise<{ s: ScriptedPlivoStream; leg: PlivoCallLeg }> {
  const answer = await plivo.answer({ CallUUID: callUuid });
  const s = await plivo.stream(answer, callUuid, streamId);
  const n = legs.length;
  s.sendStart();
  await waitFor(() => legs.length > n || !s.isOpen, 'onCall');
  const leg = legs.at(-1);
  assert.ok(leg && leg.callUuid === callUuid);
  return { s, leg };
}

test('signed answer → bidirectional μ-law <Stream> with hex extraHeaders; bad signature → 403', async () => {
  const answer = await plivo.answer();
  assert.equal(answer.status, 200);
  assert.match(
    answer.body,
    /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Stream bidirectional="true" keepCallAlive="true" contentType="audio\/x-mulaw;rate=8000" streamTimeout="86400" extraHeaders="agentId=737570706f72742d626f74,sbfrom=2b3134313535353530313030,sbto=2b3134313535353530313939,sbdir=696e626f756e64,sbtoken=[0-9a-f]{32}" statusCallbackUrl="https:\/\/agent.example.net\/plivo\/stream-status" statusCallbackMethod="POST">wss:\/\/agent.example.net\/plivo\/media<\/Stream><\/Response>$/,
  );
  const bad = await plivo.answer({}, { sign: false });
  assert.equal(bad.status, 403);
  assert.deepEqual(JSON.parse(bad.body), {
    error: { code: 'forbidden', message: 'invalid X-Plivo-Signature-V3', details: [] },
  });
});

test('full call: start, μ-law untouched, dtmf, playAudio, checkpoints, clearAudio, sendDTMF, close', async () => {
  const { s, leg } = await startCall();
  assert.equal(leg.id, CALL);
  assert.equal(leg.from, '+14155550100');
  assert.equal(leg.to, '+14155550199');
  assert.deepEqual(leg.info.parameters, { agentId: 'support-bot' });
  const frames: AudioFrame[] = [];
  void (async () => {
    for await (const f of leg.audio) frames.push(f);
  })();
  const digits: string[] = [];
  const hangups: EndedReason[] = [];
  leg.on('dtmf', (d) => digits.push(d));
  leg.on('hangup', (r) => hangups.push(r));

  const sent = Uint8Array.from({ length: 160 }, (_, i) => (i * 7) & 0xff);
  s.sendMedia(sent);
  s.sendMedia('%%%');
  s.send('{garbage');
  s.send({ event: 'mystery' });
  s.sendDtmf('7');
  await waitFor(() => frames.length === 1 && digits.length === 1, 'audio and dtmf');
  assert.deepEqual(Buffer.from(frames[0]?.data ?? []), Buffer.from(sent));
  assert.deepEqual(digits, ['7']);

  leg.play({ format: leg.outputFormat, data: Uint8Array.from([0xff, 0xff, 0xff, 0xff]) });
  await s.untilEvents('playAudio', 1);
  assert.deepEqual(s.events('playAudio')[0], loadFixture('plivo', 'out-play-audio'));
  for (let i = 0; i < 5; i++) leg.play({ format: leg.outputFormat, data: new Uint8Array(160).fill(0xff) });
  const [cp] = await s.untilEvents('checkpoint', 1);
  assert.deepEqual(cp, { ...loadFixture('plivo', 'out-checkpoint'), name: 'sb-1' });
  s.echoCheckpoints();
  await waitFor(() => leg.playedMs > 0, 'checkpoint echo counted');

  leg.clear();
  await s.untilEvents('clearAudio', 1);
  assert.deepEqual(s.events('clearAudio'), [loadFixture('plivo', 'out-clear-audio')]);

  await leg.sendDtmf('1234#');
  await s.untilEvents('sendDTMF', 1);
  assert.deepEqual(s.events('sendDTMF'), [loadFixture('plivo', 'out-send-dtmf')]);

  s.close();
  await waitFor(() => hangups.length === 1, 'hangup');
  assert.deepEqual(hangups, ['caller-hangup']);
});

test('a start with forged extraHeaders is refused', async () => {
  const answer = await plivo.answer({ CallUUID: 'aaaa' });
  const s = await plivo.stream(answer, 'aaaa');
  s.sendMedia(Uint8Array.from([1]));
  s.sendStart((answer.extraHeaders ?? '').replace(/sbfrom=[0-9a-f]+/, 'sbfrom=2b31'));
  assert.equal((await s.closed).code, 1008);
});

test('hangup → DELETE; transfer → aleg_url serving <Dial>', async () => {
  rest.requests.length = 0;
  const t = await startCall('bbbb', 'sb');
  await t.leg.transfer('+15550001111');
  t.s.close();
  assert.equal(await t.leg.ended, 'transfer');
  const h = await startCall('cccc', 'sc');
  await h.leg.hangup();
  await h.s.closed;
  assert.deepEqual(
    rest.requests.map((r) => [r.method, r.path, r.json]),
    [
      [
        'POST',
        `/v1/Account/${AUTH_ID}/Call/bbbb/`,
        { legs: 'aleg', aleg_url: `${PUBLIC}/plivo/transfer?target=%2B15550001111`, aleg_method: 'POST' },
      ],
      ['DELETE', `/v1/Account/${AUTH_ID}/Call/cccc/`, undefined],
    ],
  );
  const xml = await plivo.post('/plivo/transfer?target=%2B15550001111', {
    CallUUID: 'bbbb',
    To: '14155550199',
  });
  assert.equal(
    xml.body,
    '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>15550001111</Number></Dial></Response>',
  );
});

test('hangup callbacks map to outcomes; outbound REST carries ref', async () => {
  statuses.length = 0;
  for (const st of ['completed', 'busy', 'no-answer', 'timeout', 'failed']) {
    assert.equal(await plivo.hangup({ CallStatus: st }, '?ref=c9'), 204);
  }
  assert.deepEqual(
    statuses.map((u) => [u.status, u.outcome, u.endedReason, u.ref]),
    [
      ['ended', 'completed', undefined, 'c9'],
      ['ended', 'busy', 'busy', 'c9'],
      ['ended', 'no-answer', 'no-answer', 'c9'],
      ['ended', 'no-answer', 'no-answer', 'c9'],
      ['ended', 'failed', 'failed', 'c9'],
    ],
  );
  assert.equal(statuses[0]?.durationSeconds, 42);

  rest.requests.length = 0;
  rest.script.push({ status: 201, body: { message: 'call fired', request_uuid: 'r-1', api_id: 'a' } });
  const dialer = plivoOutbound({
    publicUrl: PUBLIC,
    getCredentials: async () => CREDS,
    rest: { baseUrl: rest.url, retry: FAST },
  });
  const { hangup, ...placed } = await dialer.placeCall({
    from: '+14155550199',
    to: '+14155550100',
    ref: 'c9',
  });
  assert.deepEqual(placed, { requestUuid: 'r-1', authId: AUTH_ID });
  const [req] = rest.requests;
  assert.equal(req?.headers.authorization, `Basic ${Buffer.from(`${AUTH_ID}:${TOKEN}`).toString('base64')}`);
  assert.deepEqual(req?.json, {
    from: '14155550199',
    to: '14155550100',
    answer_url: `${PUBLIC}/plivo/answer?ref=c9`,
    answer_method: 'POST',
    hangup_url: `${PUBLIC}/plivo/hangup?ref=c9`,
    hangup_method: 'POST',
    ring_url: `${PUBLIC}/plivo/ring?ref=c9`,
    ring_method: 'POST',
  });
  // Before a callback named the call, hanging up cancels the request; after, it ends the call.
  rest.requests.length = 0;
  rest.script.push({ status: 404, body: { error: 'not found' } });
  await hangup();
  await hangup('uuid-7');
  assert.deepEqual(
    rest.requests.map((r) => `${r.method} ${r.path}`),
    [`DELETE /v1/Account/${AUTH_ID}/Request/r-1/`, `DELETE /v1/Account/${AUTH_ID}/Call/uuid-7/`],
  );
  rest.script.push({ status: 401, body: { error: 'authentication failed' } });
  await assert.rejects(dialer.placeCall({ from: '+1', to: '+2' }), /rejected the credentials/);
});

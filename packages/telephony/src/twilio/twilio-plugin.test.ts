import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { createLogger, type EndedReason } from '@switchboard/core';
import type { AudioFrame } from '@switchboard/media';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CarrierStatusUpdate } from '../ws-media/call-status.js';
import { callToken } from '../ws-media/call-token.js';
import { FakeRestServer } from '../ws-media/fake-rest-server.js';
import { loadFixture } from '../ws-media/scripted-socket.js';
import { ScriptedTwilio, type ScriptedTwilioStream } from './scripted-twilio.js';
import type { TwilioCallLeg } from './twilio-call-leg.js';
import { twilioPlugin } from './twilio-plugin.js';

const PUBLIC = 'https://agent.example.net';
const ACC = 'AC22222222222222222222222222222222';
const TOKEN = 'twilio-auth-token';
const CALL = 'CA33333333333333333333333333333333';
const STREAM = 'MZ11111111111111111111111111111111';

let app: FastifyInstance;
let rest: FakeRestServer;
let twilio: ScriptedTwilio;
const legs: TwilioCallLeg[] = [];
const statuses: CarrierStatusUpdate[] = [];
const logLines: string[] = [];
// As the composition root does: the connector's logger already carries `connector`.
const logger = createLogger({
  destination: new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
}).child({ connector: 'twilio' });

before(async () => {
  rest = await FakeRestServer.start();
  app = Fastify();
  await app.register(
    twilioPlugin({
      publicUrl: PUBLIC,
      logger,
      getCredentials: async ({ accountSid }) =>
        accountSid === ACC ? { accountSid: ACC, authToken: TOKEN } : null,
      resolveCall: (req) =>
        req.to === '+15550000000'
          ? { accept: false, reason: 'busy' }
          : req.answeredBy === 'machine_start'
            ? { accept: false, hangup: true }
            : { accept: true, parameters: { agentId: 'support-bot' } },
      onCall: (leg) => {
        legs.push(leg);
      },
      onStatus: (u) => {
        statuses.push(u);
      },
      rest: { baseUrl: rest.url, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 } },
      startTimeoutMs: 1000,
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  twilio = new ScriptedTwilio({ appUrl, publicUrl: PUBLIC, accountSid: ACC, authToken: TOKEN });
});

after(async () => {
  await app.close();
  await rest.close();
});

/** Answers a call and opens its stream; resolves with the stream and the leg the app received. */
async function startCall(
  callSid = CALL,
  streamSid = STREAM,
): Promise<{ s: ScriptedTwilioStream; leg: TwilioCallLeg }> {
  const answer = await twilio.voice({ CallSid: callSid });
  const s = await twilio.stream(answer, callSid, streamSid);
  const before = legs.length;
  s.begin();
  await waitFor(() => legs.length > before || !s.isOpen, 'onCall');
  const leg = legs.at(-1);
  assert.ok(leg && leg.callSid === callSid);
  return { s, leg };
}

function collect(leg: TwilioCallLeg): AudioFrame[] {
  const frames: AudioFrame[] = [];
  void (async () => {
    for await (const f of leg.audio) frames.push(f);
  })();
  return frames;
}

const waitFor = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), what);
};

test('signed voice webhook → <Connect><Stream> TwiML with signed parameters', async () => {
  const answer = await twilio.voice();
  assert.equal(answer.status, 200);
  const params = {
    agentId: 'support-bot',
    sb_from: '+15551230001',
    sb_to: '+15559870002',
    sb_dir: 'inbound',
  };
  const token = callToken(TOKEN, { callSid: CALL, ...params });
  assert.equal(
    answer.body,
    '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
      '<Stream url="wss://agent.example.net/twilio/media" statusCallback="https://agent.example.net/twilio/stream-status" statusCallbackMethod="POST">' +
      '<Parameter name="agentId" value="support-bot"/><Parameter name="sb_from" value="+15551230001"/>' +
      '<Parameter name="sb_to" value="+15559870002"/><Parameter name="sb_dir" value="inbound"/>' +
      `<Parameter name="sb_token" value="${token}"/></Stream></Connect></Response>`,
  );
});

test('a refused call gets <Reject>', async () => {
  const answer = await twilio.voice({ To: '+15550000000' });
  assert.match(answer.body, /<Response><Reject reason="busy"\/><\/Response>/);
});

test('an answered call the application ends gets <Hangup>; AnsweredBy reaches it', async () => {
  const answer = await twilio.voice({ Direction: 'outbound-api', AnsweredBy: 'machine_start' });
  assert.match(answer.body, /<Response><Hangup\/><\/Response>/);
  const human = await twilio.voice({ Direction: 'outbound-api', AnsweredBy: 'human' });
  assert.ok(human.streamUrl, human.body);
});

test('a completed call a machine answered is a voicemail', async () => {
  statuses.length = 0;
  assert.equal(
    await twilio.status({ CallStatus: 'completed', AnsweredBy: 'machine_end_beep' }, '?ref=call_8'),
    204,
  );
  assert.deepEqual(
    statuses.map((u) => [u.outcome, u.endedReason, u.answeredBy]),
    [['voicemail', 'machine-detected', 'machine_end_beep']],
  );
});

test('bad signature → 403 in the API error shape; an unknown account gets the very same answer', async () => {
  const bad = await twilio.voice({}, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
  assert.equal(bad.status, 403);
  assert.deepEqual(JSON.parse(bad.body), {
    error: { code: 'forbidden', message: 'invalid X-Twilio-Signature', details: [] },
  });
  // Same status and body as a bad signature: outsiders cannot tell which AccountSids exist.
  const other = new ScriptedTwilio({ ...twilio.o, accountSid: 'AC99999999999999999999999999999999' });
  const unknown = await other.voice();
  assert.equal(unknown.status, 403);
  assert.equal(unknown.body, bad.body);
  // Signed for another URL (the app must rebuild the URL from PUBLIC_URL, not trust Host).
  const wrongHost = new ScriptedTwilio({ ...twilio.o, publicUrl: 'https://evil.example' });
  assert.equal((await wrongHost.voice()).status, 403);
});

test('full call: start, μ-law relayed untouched, dtmf, play, marks, barge-in clear, stop', async () => {
  const { s, leg } = await startCall();
  assert.equal(leg.id, CALL);
  assert.equal(leg.streamSid, STREAM);
  assert.equal(leg.direction, 'inbound');
  assert.equal(leg.from, '+15551230001');
  assert.equal(leg.to, '+15559870002');
  assert.deepEqual(leg.info.parameters, { agentId: 'support-bot' });
  assert.deepEqual(leg.inputFormat, { encoding: 'mulaw', sampleRate: 8000 });
  assert.deepEqual(leg.outputFormat, { encoding: 'mulaw', sampleRate: 8000 });
  const frames = collect(leg);
  const digits: string[] = [];
  const hangups: EndedReason[] = [];
  leg.on('dtmf', (d) => digits.push(d));
  leg.on('hangup', (r) => hangups.push(r));

  // Caller audio: every byte value, including μ-law 0x7F (lossy through a decode), arrives as sent.
  const sent = Array.from({ length: 5 }, (_, i) =>
    Uint8Array.from({ length: 160 }, (_, j) => (i * 160 + j) % 256),
  );
  for (const a of sent) s.sendMedia(a);
  s.send(loadFixture('twilio', 'dtmf'));
  await waitFor(() => frames.length === 5 && digits.length === 1, 'audio and dtmf delivered');
  assert.deepEqual(
    frames.map((f) => Buffer.from(f.data)),
    sent.map((a) => Buffer.from(a)),
  );
  assert.ok(frames.every((f) => f.format.encoding === 'mulaw' && f.format.sampleRate === 8000));
  assert.deepEqual(digits, ['5']);

  // Agent audio out: the exact Twilio media message; a mark after every 100 ms.
  leg.play({ format: leg.outputFormat, data: Uint8Array.from([0xff, 0xff, 0xff, 0xff]) });
  await s.untilEvents('media', 1);
  assert.deepEqual(s.events('media')[0], loadFixture('twilio', 'out-media'));
  for (let i = 0; i < 5; i++) leg.play({ format: leg.outputFormat, data: new Uint8Array(160).fill(0xff) });
  const [mark] = await s.untilEvents('mark', 1);
  assert.deepEqual(mark, { event: 'mark', streamSid: STREAM, mark: { name: 'sb-1' } });
  assert.equal(leg.playedMs, 0);
  s.echoMarks();
  await waitFor(() => leg.playedMs > 0, 'mark echo counted');
  assert.equal(leg.playedMs, 100.5);

  // Barge-in: more audio queued at Twilio, then the engine clears.
  for (let i = 0; i < 10; i++) leg.play({ format: leg.outputFormat, data: new Uint8Array(160).fill(0xff) });
  await s.untilEvents('mark', 3);
  leg.clear();
  await s.untilEvents('clear', 1);
  assert.deepEqual(s.events('clear'), [loadFixture('twilio', 'out-clear')]);
  const mediaBefore = s.events('media').length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(s.events('media').length, mediaBefore, 'no audio after the clear');
  assert.equal(s.events('clear').length, 1, 'exactly one clear');
  // The flushed marks came back (the double echoes on clear) and count as flushed, not played.
  assert.equal(leg.playedMs, 100.5);

  s.sendStop();
  await waitFor(() => hangups.length === 1, 'hangup');
  assert.deepEqual(hangups, ['caller-hangup']);
  assert.equal((await s.closed).code, 1000);
  assert.equal(await leg.ended, 'caller-hangup');
});

test('a non-μ-law frame is converted before it is sent', async () => {
  const { s, leg } = await startCall('CA44444444444444444444444444444444');
  leg.play({ format: { encoding: 'pcm16', sampleRate: 8000 }, data: new Uint8Array(320) });
  await s.untilEvents('media', 1);
  assert.deepEqual(s.mediaReceived()[0], Buffer.alloc(160, 0xff));
  s.sendStop();
  await leg.ended;
});

test('malformed messages do not crash the call or affect a concurrent one', async () => {
  const a = await startCall('CA55555555555555555555555555555555', 'MZ55555555555555555555555555555555');
  const b = await startCall('CA66666666666666666666666666666666', 'MZ66666666666666666666666666666666');
  const framesA = collect(a.leg);
  const framesB = collect(b.leg);
  a.s.send('{not json');
  a.s.send('[]');
  a.s.send('"media"');
  a.s.sendBinary(Uint8Array.from([1, 2, 3]));
  a.s.sendMedia('***not base64***');
  a.s.sendMedia('/////w=');
  a.s.send({ event: 'media', streamSid: 'x' });
  a.s.send({ event: 'dtmf', dtmf: { digit: 'Z' } });
  a.s.send({ event: 'surprise', streamSid: 'x' });
  a.s.send({ noEvent: true });
  a.s.sendMedia(Uint8Array.from([1, 2, 3]));
  b.s.sendMedia(Uint8Array.from([4, 5, 6]));
  await waitFor(() => framesA.length === 1 && framesB.length === 1, 'good frames still flow');
  assert.deepEqual(Buffer.from(framesA[0]?.data ?? []), Buffer.from([1, 2, 3]));
  assert.deepEqual(Buffer.from(framesB[0]?.data ?? []), Buffer.from([4, 5, 6]));
  assert.equal(a.leg.stats.malformed, 4, 'bad base64 ×2, media without payload, dtmf without a digit');
  assert.ok(a.s.isOpen && b.s.isOpen);
  a.s.sendStop();
  b.s.sendStop();
  await Promise.all([a.leg.ended, b.leg.ended]);
});

test('media before start is ignored; a start without a valid call token is refused', async () => {
  const answer = await twilio.voice({ CallSid: 'CA77777777777777777777777777777777' });
  const s = await twilio.stream(answer, 'CA77777777777777777777777777777777');
  const count = legs.length;
  s.sendConnected();
  s.sendMedia(Uint8Array.from([1]));
  s.sendStart({ ...answer.parameters, sb_from: '+19999999999' });
  const { code } = await s.closed;
  assert.equal(code, 1008);
  assert.equal(legs.length, count);
});

test('a socket that never starts is closed', async () => {
  const answer = await twilio.voice({ CallSid: 'CA88888888888888888888888888888888' });
  const s = await twilio.stream(answer, 'CA88888888888888888888888888888888');
  s.sendConnected();
  assert.equal((await s.closed).code, 1008);
});

test('a carrier that vanishes ends the leg with connector-error', async () => {
  const { s, leg } = await startCall('CA99999999999999999999999999999999');
  s.terminate();
  assert.equal(await leg.ended, 'connector-error');
});

test('hangup → REST Status=completed, then the socket closes; transfer → <Dial>', async () => {
  rest.requests.length = 0;
  const t = await startCall('CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
  await t.leg.transfer('+15550001111');
  t.s.sendStop();
  assert.equal(await t.leg.ended, 'transfer');
  const h = await startCall('CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
  await h.leg.hangup('agent-ended');
  assert.equal((await h.s.closed).code, 1000);
  assert.deepEqual(
    rest.requests.map((r) => [r.path, r.form]),
    [
      [
        `/2010-04-01/Accounts/${ACC}/Calls/CAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.json`,
        {
          Twiml:
            '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number>+15550001111</Number></Dial></Response>',
        },
      ],
      [`/2010-04-01/Accounts/${ACC}/Calls/CAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.json`, { Status: 'completed' }],
    ],
  );
});

test('sendDtmf plays in-band tones on the stream', async () => {
  const { s, leg } = await startCall('CAcccccccccccccccccccccccccccccccc');
  await leg.sendDtmf('12');
  const media = await s.untilEvents('media', 4);
  const bytes = media.map(
    (m) => Buffer.from(String((m.media as { payload: string }).payload), 'base64').length,
  );
  assert.deepEqual(bytes, [800, 480, 800, 480]);
  s.sendStop();
  await leg.ended;
});

test('status callbacks map to core statuses and outcomes', async () => {
  statuses.length = 0;
  for (const st of [
    'initiated',
    'ringing',
    'in-progress',
    'completed',
    'busy',
    'no-answer',
    'failed',
    'canceled',
  ]) {
    assert.equal(await twilio.status({ CallStatus: st }, '?ref=call_7'), 204);
  }
  assert.equal(await twilio.status({ CallStatus: 'mystery' }), 204);
  assert.deepEqual(
    statuses.map((u) => [u.carrierStatus, u.status, u.outcome, u.endedReason]),
    [
      ['initiated', 'queued', undefined, undefined],
      ['ringing', 'ringing', undefined, undefined],
      ['in-progress', 'in-progress', undefined, undefined],
      ['completed', 'ended', 'completed', undefined],
      ['busy', 'ended', 'busy', 'busy'],
      ['no-answer', 'ended', 'no-answer', 'no-answer'],
      ['failed', 'ended', 'failed', 'failed'],
      ['canceled', 'ended', 'cancelled', 'cancelled'],
    ],
  );
  assert.equal(statuses[3]?.ref, 'call_7');
  assert.equal(statuses[3]?.durationSeconds, 37);
  assert.equal(statuses[3]?.sequence, 3);
  const forged = await twilio.post(
    '/twilio/status',
    { AccountSid: ACC, CallSid: CALL, CallStatus: 'completed' },
    'x',
  );
  assert.equal(forged.status, 403);
});

test('log lines name the connector once, though the composition root bound it already', () => {
  assert.ok(logLines.length > 0, 'the refused webhooks were logged');
  for (const line of logLines) assert.equal(line.match(/"connector"/g)?.length, 1, line);
});

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TalkTokens } from '@switchboard/server';
import {
  FakeRestServer,
  parseSipMessage,
  ScriptedAudioSocket,
  ScriptedPlivo,
  ScriptedSocket,
  ScriptedTelnyx,
  type SipMessage,
} from '@switchboard/telephony';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const INTERNAL_TOKEN = 'platform-internal-token-0123456789';
const TWILIO_SID = 'AC77777777777777777777777777777777';
const TWILIO_TOKEN = 'twilio-auth-token-for-capacity-01';
const PLIVO_ID = 'MACAPACITYTEST000001';
const PLIVO_TOKEN = 'plivo-auth-token-for-capacity-01';
const NUMBERS = { twilio: '+15559870021', plivo: '+14155550121', telnyx: '+15559870023' };

async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Sends one INVITE with an SDP offer and resolves with the first final response. */
async function invite(sipPort: number): Promise<SipMessage> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const { port } = sock.address();
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 49170 RTP/AVP 0 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    '',
  ].join('\r\n');
  const msg = [
    `INVITE sip:demo@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-cap-${port};rport`,
    'Max-Forwards: 70',
    `From: <sip:caller@127.0.0.1:${port}>;tag=cap${port}`,
    `To: <sip:demo@127.0.0.1:${sipPort}>`,
    `Call-ID: capacity-${port}@127.0.0.1`,
    'CSeq: 1 INVITE',
    `Contact: <sip:caller@127.0.0.1:${port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
  try {
    return await new Promise<SipMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no final SIP response')), 10_000);
      sock.on('message', (buf) => {
        const m = parseSipMessage(buf);
        if (m.kind === 'response' && m.status >= 200) {
          clearTimeout(timer);
          resolve(m);
        }
      });
      sock.send(Buffer.from(msg), sipPort, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

// MAX_CONCURRENT_CALLS=1 on the started platform: with one call live, a new call on every
// connector is refused the way its protocol allows, each counted in the metrics; when the live
// call ends abnormally (its socket dropped), the slot comes back and the next call is taken.
describe('the per-process call cap', () => {
  let t: TestPlatform;
  let rest: FakeRestServer;
  let audioSocketPort: number;
  let telnyx: ScriptedTelnyx;

  before(async () => {
    rest = await FakeRestServer.start();
    audioSocketPort = await freeTcpPort();
    t = await startTestPlatform(
      {
        MAX_CONCURRENT_CALLS: '1',
        SIP_ENABLED: 'true',
        SIP_PORT: '0',
        SIP_TRANSPORTS: 'udp',
        AUDIOSOCKET_ENABLED: 'true',
        AUDIOSOCKET_PORT: String(audioSocketPort),
      },
      { outbound: { apiUrls: { plivo: rest.url, telnyx: rest.url } } },
    );
    const { store } = t.platform;
    const { workspaceId, demoAgentId } = t;
    telnyx = new ScriptedTelnyx({ appUrl: t.appUrl });
    await store.credentials.create(workspaceId, { name: `twilio:${TWILIO_SID}`, value: TWILIO_TOKEN });
    await store.credentials.create(workspaceId, { name: `plivo:${PLIVO_ID}`, value: PLIVO_TOKEN });
    await store.credentials.create(workspaceId, {
      name: 'telnyx',
      value: JSON.stringify({
        apiKey: 'KEY-telnyx',
        publicKey: telnyx.publicKey,
        connectionId: 'conn-1',
      }),
    });
    for (const [connector, number] of Object.entries(NUMBERS) as [keyof typeof NUMBERS, string][]) {
      await store.phoneNumbers.create(workspaceId, { number, connector, agentId: demoAgentId });
    }
  });
  after(async () => {
    await t?.close();
    await rest?.close();
  });

  const metric = async (name: string) => {
    const res = await fetch(`${t.appUrl}/metrics`, { headers: { 'x-internal-token': INTERNAL_TOKEN } });
    const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };

  test('a full process refuses new calls on every connector; a dropped call gives its slot back', async () => {
    assert.equal(await metric('switchboard_calls_max_concurrent'), 1);
    const twilio = t.scriptedTwilio(TWILIO_SID, TWILIO_TOKEN);
    const live = await twilio.voice({ To: NUMBERS.twilio, CallSid: `CA${'1'.repeat(32)}` });
    assert.ok(live.streamUrl, live.body);
    const stream = await twilio.stream(live, `CA${'1'.repeat(32)}`);
    stream.begin();
    await feedSilenceUntil(stream, 25);
    assert.equal(await metric('switchboard_call_slots_used'), 1);

    // Twilio: TwiML <Reject reason="busy"/>, the caller hears busy.
    const busyTwilio = await twilio.voice({ To: NUMBERS.twilio, CallSid: `CA${'2'.repeat(32)}` });
    assert.equal(busyTwilio.status, 200);
    assert.match(busyTwilio.body, /<Reject reason="busy"\/>/);
    // Plivo: <Hangup reason="busy"/>.
    const plivo = new ScriptedPlivo({
      appUrl: t.appUrl,
      publicUrl: t.publicUrl,
      authId: PLIVO_ID,
      authToken: PLIVO_TOKEN,
    });
    const busyPlivo = await plivo.answer({
      CallUUID: crypto.randomUUID(),
      From: '14155550100',
      To: NUMBERS.plivo.slice(1),
    });
    assert.equal(busyPlivo.status, 200);
    assert.match(busyPlivo.body, /<Hangup reason="busy"\/>/);
    // Telnyx: Call Control reject with USER_BUSY, never answered.
    const res = await telnyx.webhook('webhook-call-initiated', {
      to: NUMBERS.telnyx,
      call_control_id: 'v3:capacity-0001',
    });
    assert.equal(res.status, 204);
    assert.deepEqual(
      rest.requests.map((r) => [r.path, r.json]),
      [['/v2/calls/v3%3Acapacity-0001/actions/reject', { cause: 'USER_BUSY' }]],
    );
    // The browser: the socket upgrade is refused with 503.
    const token = new TalkTokens(INTERNAL_TOKEN).mint(t.demoAgentId, t.workspaceId).token;
    const browser = await ScriptedSocket.connect(
      `${t.appUrl.replace(/^http/, 'ws')}/talk/ws?token=${encodeURIComponent(token)}`,
    ).then(
      (ws) => {
        ws.close();
        return 'opened';
      },
      (e: Error) => e.message,
    );
    assert.match(browser, /503/);
    // AudioSocket: the connection is hung up with a hangup frame.
    const audioSocket = await ScriptedAudioSocket.connect(audioSocketPort);
    audioSocket.uuid(crypto.randomUUID());
    await audioSocket.closed;
    assert.ok(
      audioSocket.received.some((f) => f.type === 'hangup'),
      'AudioSocket hangup frame',
    );
    // Built-in SIP: 486 Busy Here before anything is answered.
    const sipPort = t.platform.sip?.port;
    assert.ok(sipPort);
    const sip = await invite(sipPort);
    assert.ok(sip.kind === 'response');
    assert.equal(sip.status, 486);
    assert.equal(
      await metric('switchboard_calls_refused_total{reason="capacity"}'),
      6,
      'every refusal is counted',
    );
    assert.equal(await metric('switchboard_calls_refused_total{reason="draining"}'), 0);
    assert.equal(
      t.events.filter((e) => e.type === 'call.started').length,
      1,
      'no refused call became a call',
    );

    // The live call ends abnormally: its socket drops without a stop message.
    stream.terminate();
    await waitFor('the slot to come back', async () => (await metric('switchboard_call_slots_used')) === 0);
    assert.equal(t.platform.calls.runner.slots.stats.inUse, 0);
    const next = await twilio.voice({ To: NUMBERS.twilio, CallSid: `CA${'3'.repeat(32)}` });
    assert.ok(next.streamUrl, `the next call is taken: ${next.body}`);
  });
});

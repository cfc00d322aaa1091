import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TalkTokens } from '@switchboard/server';
import {
  FakeRestServer,
  getHeader,
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

/** A hand-driven SIP caller over UDP: one dialog, literal messages, every message kept. */
class SipCaller {
  readonly received: SipMessage[] = [];
  readonly #sock = dgram.createSocket('udp4');
  #port = 0;
  #toTag = '';
  #cseq = 1;

  private constructor(readonly sipPort: number) {}

  static async open(sipPort: number): Promise<SipCaller> {
    const c = new SipCaller(sipPort);
    await new Promise<void>((r) => c.#sock.bind(0, '127.0.0.1', () => r()));
    c.#port = c.#sock.address().port;
    c.#sock.on('message', (buf) => {
      const m = parseSipMessage(buf);
      c.received.push(m);
      // The platform hanging up: answer its BYE.
      if (m.kind === 'request' && m.method === 'BYE') c.#send(c.#reply(m, 200));
    });
    return c;
  }

  get #callId() {
    return `capacity-${this.#port}@127.0.0.1`;
  }

  #headers(method: string, branch: string, cseq: number) {
    return [
      `Via: SIP/2.0/UDP 127.0.0.1:${this.#port};branch=${branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@127.0.0.1:${this.#port}>;tag=cap${this.#port}`,
      `To: <sip:demo@127.0.0.1:${this.sipPort}>${this.#toTag ? `;tag=${this.#toTag}` : ''}`,
      `Call-ID: ${this.#callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:caller@127.0.0.1:${this.#port}>`,
    ];
  }

  #reply(req: SipMessage, status: number): string {
    const copy = ['via', 'from', 'to', 'call-id', 'cseq']
      .flatMap((n) => req.headers.filter((h) => h.name.toLowerCase() === n))
      .map((h) => `${h.name}: ${h.value}`);
    return [`SIP/2.0 ${status} OK`, ...copy, 'Content-Length: 0', '', ''].join('\r\n');
  }

  #send(text: string) {
    this.#sock.send(Buffer.from(text), this.sipPort, '127.0.0.1');
  }

  readonly #inviteBranch = `z9hG4bK-inv-${Math.random().toString(36).slice(2)}`;

  invite() {
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
    this.#send(
      [
        `INVITE sip:demo@127.0.0.1:${this.sipPort} SIP/2.0`,
        ...this.#headers('INVITE', this.#inviteBranch, 1),
        'Content-Type: application/sdp',
        `Content-Length: ${Buffer.byteLength(sdp)}`,
        '',
        sdp,
      ].join('\r\n'),
    );
  }

  /** The first final response to the INVITE (its To-tag is kept for the dialog). */
  async final(): Promise<number> {
    const m = await waitFor(
      'a final response to the INVITE',
      () =>
        this.received.find(
          (x) => x.kind === 'response' && x.status >= 200 && /INVITE/.test(getHeader(x, 'cseq') ?? ''),
        ),
      10_000,
    );
    this.#toTag = /;tag=([^;>\s]+)/.exec(getHeader(m, 'to') ?? '')?.[1] ?? '';
    return m.kind === 'response' ? m.status : 0;
  }

  ack(status: number) {
    // A 2xx is acknowledged end to end (a new branch); a failure hop by hop (the INVITE's branch).
    const branch = status < 300 ? `z9hG4bK-ack-${this.#port}` : this.#inviteBranch;
    this.#send(
      [
        'ACK sip:demo@127.0.0.1 SIP/2.0',
        ...this.#headers('ACK', branch, 1),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  }

  bye() {
    this.#cseq++;
    this.#send(
      [
        `BYE sip:demo@127.0.0.1:${this.sipPort} SIP/2.0`,
        ...this.#headers('BYE', `z9hG4bK-bye-${this.#port}`, this.#cseq),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
  }

  cancel() {
    const saved = this.#toTag;
    this.#toTag = '';
    this.#send(
      [
        `CANCEL sip:demo@127.0.0.1:${this.sipPort} SIP/2.0`,
        ...this.#headers('CANCEL', this.#inviteBranch, 1),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    this.#toTag = saved;
  }

  close() {
    this.#sock.close();
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
    const sip = await SipCaller.open(sipPort);
    sip.invite();
    assert.equal(await sip.final(), 486);
    sip.ack(486);
    sip.close();
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

  test('SIP: a slot is held from the INVITE to the end of the call, and given back on BYE and on CANCEL', async () => {
    const sipPort = t.platform.sip?.port;
    assert.ok(sipPort);
    const slots = () => t.platform.calls.runner.slots.stats.inUse;
    await waitFor('no call left from before', () => slots() === 0);
    const caller = await SipCaller.open(sipPort);
    caller.invite();
    assert.equal(await caller.final(), 200);
    caller.ack(200);
    await waitFor('the call to hold the slot', () => slots() === 1);
    const busy = await SipCaller.open(sipPort);
    busy.invite();
    assert.equal(await busy.final(), 486, 'the second caller hears busy');
    busy.ack(486);
    busy.close();
    caller.bye();
    await waitFor('the slot back after BYE', () => slots() === 0);
    caller.close();

    // The caller gives up while the call is being set up: whichever way the race goes (487, or
    // answered first and then hung up), the slot comes back.
    const quitter = await SipCaller.open(sipPort);
    quitter.invite();
    quitter.cancel();
    const status = await quitter.final();
    quitter.ack(status);
    if (status === 200) quitter.bye();
    else assert.equal(status, 487);
    await waitFor('the slot back after CANCEL', () => slots() === 0);
    assert.equal(t.platform.calls.runner.activeCalls, 0);
    quitter.close();
  });
});

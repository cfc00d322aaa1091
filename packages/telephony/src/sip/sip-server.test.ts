import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { tagOf } from './dialog.js';
import { getHeader } from './headers.js';
import type { SipMessage, SipResponse } from './message.js';
import { inDialogText, inviteText, RawUac } from './raw-uac.testkit.js';
import { makeResponse } from './response.js';
import type { SipCallLeg } from './sip-call-leg.js';
import { SipReject } from './sip-errors.js';
import { SipServer } from './sip-server.js';

const isRes = (status: number, method?: string) => (m: SipMessage) =>
  m.kind === 'response' && m.status === status && (!method || (getHeader(m, 'cseq') ?? '').endsWith(method));
const rtpBase = () => 30000 + 2 * Math.floor(Math.random() * 5000);
let n = 0;
const ids = () => ({ callId: `call-${process.pid}-${++n}`, branch: `z9hG4bK-t${n}-${Date.now()}` });

describe('SipServer as UAS (raw UDP peer)', () => {
  let server: SipServer;
  let uac: RawUac;
  let onCall: (leg: SipCallLeg) => Promise<void> | void = () => {};
  let available = true;
  const base = rtpBase();

  before(async () => {
    server = new SipServer({
      port: 0,
      transports: ['udp'],
      rtpPortRange: [base, base + 40],
      timers: { t1Ms: 20, t2Ms: 80 },
      mediaTimeoutMs: 400,
      onCall: (leg) => onCall(leg),
      available: () => available,
    });
    await server.start();
    uac = await new RawUac(server.address.port).open();
  });
  after(async () => {
    uac.close();
    await server.stop();
  });

  /** Sends an out-of-dialog OPTIONS and resolves with the response of `status`. */
  const options = async (status: number) => {
    const { callId, branch } = ids();
    uac.send(
      inDialogText('OPTIONS', { callId, port: uac.port, toTag: '', cseq: 1, branch }).replace(
        ';tag=\r\n',
        '\r\n',
      ),
    );
    return (await uac.waitFor(
      (m) => isRes(status, 'OPTIONS')(m) && getHeader(m, 'call-id') === callId,
    )) as SipResponse;
  };

  test('OPTIONS gets 200 with Allow and Accept', async () => {
    const res = await options(200);
    assert.match(getHeader(res, 'allow') ?? '', /INVITE/);
    assert.equal(getHeader(res, 'accept'), 'application/sdp');
  });

  test('OPTIONS gets 503 with Retry-After while the process is not taking calls', async () => {
    available = false;
    try {
      assert.equal(getHeader(await options(503), 'retry-after'), '5');
    } finally {
      available = true;
    }
  });

  test('BYE outside a dialog gets 481', async () => {
    const { callId, branch } = ids();
    uac.send(inDialogText('BYE', { callId, port: uac.port, toTag: 'nope', cseq: 2, branch }));
    await uac.waitFor((m) => isRes(481, 'BYE')(m) && getHeader(m, 'call-id') === callId);
  });

  test('an offer with only an unsupported codec gets 488 and onCall is not asked', async () => {
    let asked = false;
    onCall = () => {
      asked = true;
    };
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port, codecs: '18', rtpmaps: 'a=rtpmap:18 G729/8000' }));
    await uac.waitFor((m) => isRes(488)(m) && getHeader(m, 'call-id') === callId);
    assert.equal(asked, false);
  });

  test('SipReject(404) from onCall becomes 404', async () => {
    onCall = () => {
      throw new SipReject(404);
    };
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port }));
    await uac.waitFor((m) => isRes(404)(m) && getHeader(m, 'call-id') === callId);
  });

  test('CANCEL before the answer: 200 to CANCEL, 487 to INVITE, leg ends as cancelled', async () => {
    let leg: SipCallLeg | undefined;
    const ended = new Promise<string>((resolve) => {
      onCall = (l) => {
        leg = l;
        l.on('hangup', resolve);
        return new Promise<void>(() => {}); // still deciding when the caller gives up
      };
    });
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port }));
    await uac.waitFor((m) => isRes(100)(m) && getHeader(m, 'call-id') === callId);
    uac.send(
      inviteText({ callId, branch, port: uac.port })
        .replace(/INVITE/g, 'CANCEL')
        .replace(/\r\n\r\nv=0[\s\S]*$/, '\r\n\r\n')
        .replace(/Content-Length: \d+/, 'Content-Length: 0'),
    );
    await uac.waitFor((m) => isRes(200, 'CANCEL')(m) && getHeader(m, 'call-id') === callId);
    await uac.waitFor((m) => isRes(487, 'INVITE')(m) && getHeader(m, 'call-id') === callId);
    assert.equal(await ended, 'cancelled');
    assert.equal(leg?.rtp, undefined);
    assert.equal(leg?.activeTimers, 0);
  });

  test('a retransmitted INVITE gets the last response again and one onCall', async () => {
    let calls = 0;
    onCall = () => {
      calls++;
    };
    const { callId, branch } = ids();
    const invite = inviteText({ callId, branch, port: uac.port });
    uac.send(invite);
    const ok = (await uac.waitFor(
      (m) => isRes(200, 'INVITE')(m) && getHeader(m, 'call-id') === callId,
    )) as SipResponse;
    const before200 = uac.responses(200).length;
    uac.send(invite);
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(uac.responses(200).length > before200);
    assert.equal(calls, 1);
    const toTag = tagOf(getHeader(ok, 'to'));
    uac.send(inDialogText('ACK', { callId, port: uac.port, toTag, cseq: 1 }));
    uac.send(inDialogText('BYE', { callId, port: uac.port, toTag, cseq: 2 }));
    await uac.waitFor((m) => isRes(200, 'BYE')(m) && getHeader(m, 'call-id') === callId);
  });

  test('in-dialog: unknown method 501, INFO DTMF, BYE ends the leg and frees its port', async () => {
    let leg: SipCallLeg | undefined;
    onCall = (l) => {
      leg = l;
    };
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port }));
    const ok = (await uac.waitFor(
      (m) => isRes(200, 'INVITE')(m) && getHeader(m, 'call-id') === callId,
    )) as SipResponse;
    const toTag = tagOf(getHeader(ok, 'to'));
    uac.send(inDialogText('ACK', { callId, port: uac.port, toTag, cseq: 1 }));
    uac.send(inDialogText('MESSAGE', { callId, port: uac.port, toTag, cseq: 2 }));
    await uac.waitFor((m) => isRes(501)(m) && getHeader(m, 'call-id') === callId);
    const digits: string[] = [];
    leg?.on('dtmf', (d) => digits.push(d));
    const body = 'Signal=5\r\nDuration=160\r\n';
    uac.send(
      inDialogText('INFO', { callId, port: uac.port, toTag, cseq: 3 }).replace(
        'Content-Length: 0\r\n\r\n',
        `Content-Type: application/dtmf-relay\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      ),
    );
    await uac.waitFor((m) => isRes(200, 'INFO')(m) && getHeader(m, 'call-id') === callId);
    assert.deepEqual(digits, ['5']);
    const hangup = new Promise((r) => leg?.once('hangup', r));
    const port = leg?.rtp?.localPort ?? 0;
    uac.send(inDialogText('BYE', { callId, port: uac.port, toTag, cseq: 4 }));
    assert.equal(await hangup, 'caller-hangup');
    assert.equal(leg?.activeTimers, 0);
    assert.equal(server.resources.calls, 0);
    assert.equal(server.resources.tickers, 0);
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', () => resolve());
    });
    probe.close();
  });

  test('no ACK for the 200: retransmitted, then BYE after 64*T1 and connector-error', async () => {
    let leg: SipCallLeg | undefined;
    onCall = (l) => {
      leg = l;
    };
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port }));
    await uac.waitFor(
      (m) => m.kind === 'request' && m.method === 'BYE' && getHeader(m, 'call-id') === callId,
      4000,
    );
    const oks = uac.received.filter((m) => isRes(200, 'INVITE')(m) && getHeader(m, 'call-id') === callId);
    assert.ok(oks.length >= 4, `200 sent ${oks.length} times`);
    assert.equal(leg?.endedReason, 'connector-error');
  });

  test('no RTP for mediaTimeoutMs ends the call with connector-error and a BYE', async () => {
    let leg: SipCallLeg | undefined;
    onCall = (l) => {
      leg = l;
    };
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port }));
    const ok = (await uac.waitFor(
      (m) => isRes(200, 'INVITE')(m) && getHeader(m, 'call-id') === callId,
    )) as SipResponse;
    uac.send(inDialogText('ACK', { callId, port: uac.port, toTag: tagOf(getHeader(ok, 'to')), cseq: 1 }));
    await uac.waitFor(
      (m) => m.kind === 'request' && m.method === 'BYE' && getHeader(m, 'call-id') === callId,
      3000,
    );
    assert.equal(leg?.endedReason, 'connector-error');
  });

  test('blind transfer: REFER accepted with 202, NOTIFY 200 ends the leg with transfer and a BYE', async () => {
    let leg: SipCallLeg | undefined;
    onCall = (l) => {
      leg = l;
    };
    const { callId, branch } = ids();
    uac.send(inviteText({ callId, branch, port: uac.port }));
    const ok = (await uac.waitFor(
      (m) => isRes(200, 'INVITE')(m) && getHeader(m, 'call-id') === callId,
    )) as SipResponse;
    const toTag = tagOf(getHeader(ok, 'to'));
    uac.send(inDialogText('ACK', { callId, port: uac.port, toTag, cseq: 1 }));
    await new Promise((r) => setTimeout(r, 20));
    const hangup = new Promise((r) => leg?.once('hangup', r));
    const accepted = leg?.transfer('+15550123');
    const refer = await uac.waitFor(
      (m) => m.kind === 'request' && m.method === 'REFER' && getHeader(m, 'call-id') === callId,
    );
    assert.ok(refer.kind === 'request');
    assert.match(getHeader(refer, 'refer-to') ?? '', /^<sip:\+15550123@127\.0\.0\.1/);
    uac.sendMessage(makeResponse(refer, 202));
    await accepted;
    const frag = 'SIP/2.0 200 OK\r\n';
    uac.send(
      inDialogText('NOTIFY', { callId, port: uac.port, toTag, cseq: 2 }).replace(
        'Content-Length: 0\r\n\r\n',
        `Event: refer\r\nSubscription-State: terminated\r\nContent-Type: message/sipfrag\r\nContent-Length: ${frag.length}\r\n\r\n${frag}`,
      ),
    );
    await uac.waitFor((m) => isRes(200, 'NOTIFY')(m) && getHeader(m, 'call-id') === callId);
    assert.equal(await hangup, 'transfer');
    await uac.waitFor(
      (m) => m.kind === 'request' && m.method === 'BYE' && getHeader(m, 'call-id') === callId,
    );
    assert.equal(leg?.activeTimers, 0);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { sessionDescription } from '../fuzz/arbitraries.js';
import { SdpParseError } from './errors.js';
import { mediaDirection, parseSdp, rtpPayloads, serializeSdp } from './sdp.js';
import { buildAnswer, buildSdp, negotiateAudio } from './sdp-negotiate.js';

const sdpFile = (name: string) => readFileSync(new URL(`../../fuzz/corpus/sdp/${name}`, import.meta.url));
const G711 = { codecs: ['PCMU', 'PCMA'], telephoneEvent: true };
const local = { address: '10.0.0.5', port: 40000, sessionId: 4242, sessionVersion: 1, username: 'agent' };

describe('parseSdp', () => {
  test('reads baresip offer: payloads with rtpmap/fmtp, b= kept, direction and ptime', () => {
    const sd = parseSdp(sdpFile('ok-baresip.sdp'));
    const m = sd.media[0];
    assert.ok(m);
    assert.deepEqual(rtpPayloads(m), [
      { pt: 0, name: 'PCMU', clockRate: 8000 },
      { pt: 8, name: 'PCMA', clockRate: 8000 },
      { pt: 101, name: 'telephone-event', clockRate: 8000, fmtp: '0-15' },
    ]);
    assert.deepEqual(m.other, [{ type: 'b', value: 'AS:87' }]);
    assert.equal(mediaDirection(sd, m), 'sendrecv');
  });

  test('rejects SDP without v=, o= or s= and malformed m= lines', () => {
    assert.throws(() => parseSdp(sdpFile('bad-no-version.sdp')), SdpParseError);
    assert.throws(() => parseSdp(sdpFile('bad-m-line.sdp')), SdpParseError);
    assert.throws(() => parseSdp('v=0\r\ns=-\r\n'), SdpParseError);
  });
});

describe('negotiateAudio', () => {
  test('prefers PCMU and keeps the offerer telephone-event PT', () => {
    const choice = negotiateAudio(parseSdp(sdpFile('ok-baresip.sdp')), G711);
    assert.equal(choice.kind, 'answer');
    if (choice.kind !== 'answer') return;
    assert.equal(choice.codec.pt, 0);
    assert.equal(choice.telephoneEvent?.pt, 101);
    assert.deepEqual(choice.remote, { address: '127.0.0.1', port: 10370, family: 4 });
    assert.equal(choice.ptimeMs, 20);
  });

  test('takes PCMA when only PCMA is offered (sipp uac_pcap)', () => {
    const choice = negotiateAudio(parseSdp(sdpFile('ok-sipp-uac-pcap.sdp')), G711);
    assert.ok(choice.kind === 'answer' && choice.codec.name === 'PCMA' && choice.telephoneEvent?.pt === 101);
  });

  test('static PTs without rtpmap, media-level c= with TTL, IPv6, session-level direction', () => {
    const a = negotiateAudio(parseSdp(sdpFile('ok-static-no-rtpmap.sdp')), G711);
    assert.ok(
      a.kind === 'answer' && a.codec.pt === 0 && a.remote.address === '192.0.2.1' && !a.telephoneEvent,
    );
    const b = negotiateAudio(parseSdp(sdpFile('ok-session-level-hold.sdp')), G711);
    assert.ok(b.kind === 'answer');
    assert.equal(b.mediaIndex, 1);
    assert.equal(b.direction, 'recvonly');
    assert.equal(b.ptimeMs, 30);
    assert.equal(b.remote.address, '0.0.0.0');
    const c = negotiateAudio(
      parseSdp(
        'v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 2001:db8::5\r\nt=0 0\r\nm=audio 49170 RTP/AVP 8\r\na=inactive\r\n',
      ),
      G711,
    );
    assert.ok(c.kind === 'answer' && c.remote.family === 6 && c.direction === 'inactive');
  });

  test('no common codec, rejected streams and SRTP give a 488 result', () => {
    const offer = (m: string) =>
      parseSdp(`v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n${m}`);
    const cases = [
      'm=audio 4000 RTP/AVP 9 18\r\n',
      'm=audio 0 RTP/AVP 0\r\n',
      'm=audio 4000 RTP/SAVP 0\r\n',
      'm=video 4000 RTP/AVP 96\r\n',
    ];
    for (const m of cases) assert.equal(negotiateAudio(offer(m), G711).kind, 'no-common-codec', m);
  });
});

describe('buildSdp / buildAnswer', () => {
  test('the answer mirrors the m= lines, rejecting the others with port 0', () => {
    const offer = parseSdp(sdpFile('ok-session-level-hold.sdp'));
    const choice = negotiateAudio(offer, G711);
    assert.ok(choice.kind === 'answer');
    const answer = parseSdp(buildAnswer(offer, choice, local));
    assert.deepEqual(
      answer.media.map((m) => [m.media, m.port]),
      [
        ['video', 0],
        ['audio', 40000],
      ],
    );
    assert.equal(answer.origin.sessionId, '4242');
  });

  test('buildSdp writes the protocols.md §10.1 answer body', () => {
    const text = buildSdp(
      { ...local, sessionName: 'voice-agent' },
      {
        payloads: [
          { pt: 0, name: 'PCMU', clockRate: 8000 },
          { pt: 101, name: 'telephone-event', clockRate: 8000, fmtp: '0-16' },
        ],
        ptimeMs: 20,
      },
    );
    assert.equal(
      text,
      'v=0\r\no=agent 4242 1 IN IP4 10.0.0.5\r\ns=voice-agent\r\nc=IN IP4 10.0.0.5\r\nt=0 0\r\n' +
        'm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n' +
        'a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n',
    );
  });
});

describe('SDP properties', () => {
  test('random text never throws anything but SdpParseError, nor does negotiation', () => {
    const lines = fc
      .array(fc.oneof(fc.stringMatching(/^[vosctmab]=[ -~]{0,30}$/), fc.string({ maxLength: 20 })), {
        maxLength: 12,
      })
      .map((ls) => ['v=0', 'o=- 1 1 IN IP4 1.1.1.1', 's=-', ...ls].join('\r\n'));
    fc.assert(
      fc.property(fc.oneof(lines, fc.string({ maxLength: 200 })), (text) => {
        try {
          const sd = parseSdp(text);
          negotiateAudio(sd, G711);
        } catch (e) {
          if (!(e instanceof SdpParseError)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('generated descriptions round-trip through serialize and parse', () => {
    fc.assert(
      fc.property(sessionDescription, (sd) => {
        assert.deepEqual(parseSdp(serializeSdp(sd)), sd);
      }),
      { numRuns: 500 },
    );
  });
});

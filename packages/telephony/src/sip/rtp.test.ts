import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { rtpPacket } from '../fuzz/arbitraries.js';
import { RtpParseError } from './errors.js';
import {
  decodeTelephoneEvent,
  digitToTelephoneEvent,
  encodeTelephoneEvent,
  telephoneEventToDigit,
} from './rfc4733.js';
import { isRtcp, parseRtcp, parseRtp, type RtpPacketInit, serializeRtp } from './rtp.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RTP', () => {
  test('a plain PCMU packet: first byte 0x80, 12 + 160 bytes', () => {
    const payload = Buffer.alloc(160, 0xff);
    const buf = serializeRtp({
      payloadType: 0,
      sequence: 65535,
      timestamp: 2 ** 32 - 160,
      ssrc: 0xdeadbeef,
      payload,
      marker: true,
    });
    assert.equal(buf.length, 172);
    assert.equal(buf[0], 0x80);
    const p = parseRtp(buf);
    assert.deepEqual(
      { ...p, payload: Buffer.from(p.payload) },
      {
        version: 2,
        padding: 0,
        csrc: [],
        marker: true,
        payloadType: 0,
        sequence: 65535,
        timestamp: 2 ** 32 - 160,
        ssrc: 0xdeadbeef,
        payload,
      },
    );
  });

  test('skips CSRCs, a header extension and padding', () => {
    const p = parseRtp(
      hex('b2 08 0002 00000140 00000001 11111111 22222222 bede 0001 10aabbcc d5d5d5d5 00000004'),
    );
    assert.deepEqual(p.csrc, [0x11111111, 0x22222222]);
    assert.equal(p.extension?.profile, 0xbede);
    assert.deepEqual(Buffer.from(p.extension?.data ?? []), hex('10aabbcc'));
    assert.deepEqual(Buffer.from(p.payload), hex('d5d5d5d5'));
    assert.equal(p.padding, 4);
  });

  test('rejects short packets, version 1, bad padding and overrunning extensions', () => {
    for (const bad of [
      '80 00 00',
      '40 00 0001 00000000 00000000',
      'a0 00 0001 00000000 00000000 00ff',
      '90 00 0001 00000000 00000000 bede 00ff',
    ]) {
      assert.throws(() => parseRtp(hex(bad)), RtpParseError, bad);
    }
  });

  test('recognises RTCP on the RTP port and splits a compound packet', () => {
    const sr = hex(
      '80c8 0006 deadbeef e8a6b8c4 00000000 000000a0 00000001 000000a0 81ca 0003 deadbeef 0105 7465737431 00',
    );
    assert.ok(isRtcp(sr));
    assert.throws(() => parseRtp(sr), RtpParseError);
    assert.deepEqual(
      parseRtcp(sr).map((p) => [p.packetType, p.count, p.length]),
      [
        [200, 0, 28],
        [202, 1, 16],
      ],
    );
    assert.throws(() => parseRtcp(sr.subarray(0, 30)), RtpParseError);
    assert.ok(
      !isRtcp(serializeRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1, payload: Buffer.alloc(4) })),
    );
  });
});

describe('RFC 4733 telephone-event', () => {
  test('encodes and decodes the end packet Asterisk sends', () => {
    const buf = encodeTelephoneEvent({ event: 1, end: true, volume: 10, duration: 800 });
    assert.deepEqual(buf, hex('01 8a 0320'));
    assert.deepEqual(decodeTelephoneEvent(buf), { event: 1, end: true, volume: 10, duration: 800 });
    assert.throws(() => decodeTelephoneEvent(Buffer.alloc(3)), RtpParseError);
  });

  test('maps events to digits', () => {
    assert.equal(telephoneEventToDigit(10), '*');
    assert.equal(telephoneEventToDigit(11), '#');
    assert.equal(telephoneEventToDigit(15), 'D');
    assert.equal(telephoneEventToDigit(16), undefined);
    assert.equal(digitToTelephoneEvent('a'), 12);
    assert.equal(digitToTelephoneEvent('x'), undefined);
  });
});

describe('RTP properties', () => {
  const normalise = (p: RtpPacketInit) => ({
    version: 2,
    padding: p.padding ?? 0,
    csrc: p.csrc ?? [],
    marker: p.marker ?? false,
    payloadType: p.payloadType,
    sequence: p.sequence,
    timestamp: p.timestamp,
    ssrc: p.ssrc,
    payload: Buffer.from(p.payload),
    ...(p.extension
      ? { extension: { profile: p.extension.profile, data: Buffer.from(p.extension.data) } }
      : {}),
  });

  test('generated packets round-trip through serialize and parse', () => {
    fc.assert(
      fc.property(rtpPacket, (p) => {
        assert.deepEqual(normalise(parseRtp(serializeRtp(p))), normalise(p));
      }),
      { numRuns: 1000 },
    );
  });

  test('random bytes never throw anything but RtpParseError', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc
        .tuple(fc.integer({ min: 0x80, max: 0xbf }), fc.uint8Array({ maxLength: 60 }))
        .map(([b0, rest]) => Uint8Array.from([b0, ...rest])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        try {
          if (isRtcp(b)) parseRtcp(b);
          else decodeTelephoneEvent(parseRtp(b).payload);
        } catch (e) {
          if (!(e instanceof RtpParseError)) throw e;
        }
      }),
      { numRuns: 5000 },
    );
  });
});

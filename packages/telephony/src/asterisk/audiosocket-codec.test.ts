import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { audioSocketFrame, cuts, splitAt } from '../fuzz/arbitraries.js';
import {
  AudioSocketError,
  AudioSocketKind,
  AudioSocketParser,
  audioKindForRate,
  encodeAudioSocketFrame,
  encodeFrame,
} from './audiosocket-codec.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('AudioSocketParser', () => {
  test('reads the Asterisk opening sequence: UUID, audio, DTMF, hangup', () => {
    const frames = new AudioSocketParser().push(
      hex('01 0010 7b4c1d2e3f40415293a4b5c6d7e8f901  10 0004 0000ff7f  03 0001 35  00 0000'),
    );
    assert.deepEqual(frames, [
      { type: 'uuid', uuid: '7b4c1d2e-3f40-4152-93a4-b5c6d7e8f901' },
      { type: 'audio', kind: 0x10, sampleRate: 8000, payload: hex('0000ff7f') },
      { type: 'dtmf', digit: '5' },
      { type: 'hangup' },
    ]);
  });

  test('carries partial frames across chunks', () => {
    const parser = new AudioSocketParser();
    const frame = encodeAudioSocketFrame(AudioSocketKind.AudioSlin16, Buffer.alloc(640, 1));
    assert.deepEqual(parser.push(frame.subarray(0, 2)), []);
    assert.deepEqual(parser.push(frame.subarray(2, 300)), []);
    const out = parser.push(frame.subarray(300));
    assert.equal(out.length, 1);
    assert.ok(out[0]?.type === 'audio' && out[0].sampleRate === 16000 && out[0].payload.length === 640);
  });

  test('bad kinds, odd audio and oversized payloads become protocol-error items, never throws', () => {
    const parser = new AudioSocketParser({ maxPayloadBytes: 16 });
    const items = parser.push(hex('02 0001 35  10 0003 000000  ff 0001 01  10 0020'));
    assert.deepEqual(
      items.map((i) => i.type),
      ['protocol-error', 'protocol-error', 'error', 'protocol-error'],
    );
    assert.deepEqual(items[2], { type: 'error', code: 1 });
    // The oversized payload's 32 bytes are dropped as they arrive; framing resumes after them.
    assert.deepEqual(parser.push(Buffer.alloc(20)), []);
    assert.deepEqual(parser.push(Buffer.concat([Buffer.alloc(12), hex('00 0000')])), [{ type: 'hangup' }]);
  });
});

describe('encodeAudioSocketFrame', () => {
  test('writes kind, big-endian length and payload; hangup is 00 00 00', () => {
    assert.deepEqual(encodeFrame({ type: 'hangup' }), hex('000000'));
    assert.deepEqual(encodeAudioSocketFrame(0x10, hex('0102')), hex('10 0002 0102'));
    assert.throws(() => encodeAudioSocketFrame(0x100), AudioSocketError);
    assert.throws(() => encodeAudioSocketFrame(0x10, Buffer.alloc(70000)), AudioSocketError);
    assert.equal(audioKindForRate(16000), 0x12);
    assert.equal(audioKindForRate(11025), undefined);
  });
});

describe('AudioSocket properties', () => {
  test('a valid stream split at random points gives the same frames', () => {
    fc.assert(
      fc.property(fc.array(audioSocketFrame, { maxLength: 10 }), cuts, (frames, at) => {
        const parser = new AudioSocketParser();
        const out = splitAt(Buffer.concat(frames.map(encodeFrame)), at).flatMap((c) => parser.push(c));
        assert.deepEqual(out, frames);
        assert.equal(parser.pendingBytes, 0);
      }),
      { numRuns: 500 },
    );
  });

  test('random bytes never throw and do not depend on chunking', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), cuts, (bytes, at) => {
        const whole = new AudioSocketParser({ maxPayloadBytes: 64 }).push(bytes);
        const parser = new AudioSocketParser({ maxPayloadBytes: 64 });
        assert.deepEqual(
          splitAt(Buffer.from(bytes), at).flatMap((c) => parser.push(c)),
          whole,
        );
      }),
      { numRuns: 2000 },
    );
  });
});

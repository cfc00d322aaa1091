import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulawDecode, mulawEncode, pcm16ToSamples } from '@switchboard/media';
import { MARKER_SAMPLES, readMarker, writeMarker } from './marker.js';

const frame = (call: number, seq: number, sentMs: number) => {
  const b = Buffer.alloc(3 + MARKER_SAMPLES * 2);
  writeMarker(b, 3, call, seq, sentMs);
  return b;
};

test('a marker reads back as written, sent time unwrapped against a later now', () => {
  const sentMs = 123_456_789.12;
  const m = readMarker(frame(4095, 1_000_000, sentMs), 3, sentMs + 250);
  assert.deepEqual(
    { ...m, sentMs: Math.round((m?.sentMs ?? 0) * 100) / 100 },
    { call: 4095, seq: 1_000_000, sentMs },
  );
});

test('a marker survives μ-law both ways (the Twilio path)', () => {
  // At offset 3, as in an AudioSocket frame: unaligned, so the samples are a copy.
  const mu = mulawEncode(pcm16ToSamples(frame(17, 42, 5000).subarray(3)));
  const back = mulawDecode(mu);
  const m = readMarker(Buffer.from(back.buffer, back.byteOffset, back.byteLength), 0, 5010);
  assert.equal(m?.call, 17);
  assert.equal(m?.seq, 42);
  assert.ok(Math.abs((m?.sentMs ?? 0) - 5000) < 0.01);
});

test('silence, a short frame and a frame with one flipped bit carry no marker', () => {
  assert.equal(readMarker(Buffer.alloc(320), 0, 0), undefined);
  assert.equal(readMarker(Buffer.alloc(100), 0, 0), undefined);
  const damaged = frame(3, 9, 77);
  damaged.writeInt16LE(-damaged.readInt16LE(3 + 4 * 20), 3 + 4 * 20);
  damaged.writeInt16LE(-damaged.readInt16LE(3 + 4 * 20 + 2), 3 + 4 * 20 + 2);
  assert.equal(readMarker(damaged, 3, 100), undefined);
});

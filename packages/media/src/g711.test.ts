import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALAW_SILENCE, alawDecode, alawEncode, MULAW_SILENCE, mulawDecode, mulawEncode } from './g711.js';
import { pcm16ToSamples, samplesToPcm16, swap16 } from './pcm.js';
import { seededRandom } from './testing.js';

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);

// G.711 step size grows with magnitude and decoding returns the middle of the step. For μ-law the
// segment holding |s| starts at 128·2^e − 132 with half-step 4·2^e, so the error is at most
// max(4, (|s| + 132) / 32). A-law steps are a similar ~1/32 of the value, with an 8-unit floor.
const mulawBound = (s: number): number => Math.max(4, (Math.abs(s) + 132) / 32);
const alawBound = (s: number): number => Math.max(8, Math.abs(s) / 28);

describe('G.711 μ-law', () => {
  it('decodes known codes from the standard table', () => {
    const d = mulawDecode(Uint8Array.from([0xff, 0x7f, 0x80, 0x00, 0xfe]));
    assert.deepEqual([...d], [0, 0, 32124, -32124, 8]);
  });

  it('silence byte decodes to zero and zero encodes to the silence byte', () => {
    assert.equal(mulawDecode(Uint8Array.of(MULAW_SILENCE))[0], 0);
    assert.equal(mulawEncode(Int16Array.of(0))[0], MULAW_SILENCE);
  });

  it('re-encoding any decoded code is stable except negative zero', () => {
    const again = mulawEncode(mulawDecode(allCodes));
    for (let c = 0; c < 256; c++) {
      if (c === 0x7f) assert.equal(again[c], 0xff, 'negative zero folds to positive zero');
      else assert.equal(again[c], c, `code ${c}`);
    }
  });

  it('round-trips every 16-bit sample within half a quantisation step (clipped at 32635)', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const back = mulawDecode(mulawEncode(all));
    for (let i = 0; i < all.length; i++) {
      const s = Math.max(-32635, Math.min(32635, all[i]!));
      assert.ok(Math.abs(s - back[i]!) <= mulawBound(s), `sample ${all[i]} → ${back[i]}`);
    }
  });

  it('is monotonic: larger samples never encode to a smaller level', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const back = mulawDecode(mulawEncode(all));
    for (let i = 1; i < back.length; i++) assert.ok(back[i]! >= back[i - 1]!, `at ${all[i]}`);
  });

  it('writes into a caller buffer without allocating', () => {
    const out = new Int16Array(300);
    const d = mulawDecode(allCodes.subarray(0, 160), out);
    assert.equal(d.buffer, out.buffer);
    assert.equal(d.length, 160);
    const enc = new Uint8Array(160);
    assert.equal(mulawEncode(d, enc), enc);
  });
});

describe('G.711 A-law', () => {
  it('silence byte decodes to the smallest positive step', () => {
    assert.equal(alawDecode(Uint8Array.of(ALAW_SILENCE))[0], 8);
    assert.equal(alawEncode(Int16Array.of(0))[0], ALAW_SILENCE);
  });

  it('re-encoding every decoded code is the identity', () => {
    assert.deepEqual([...alawEncode(alawDecode(allCodes))], [...allCodes]);
  });

  it('round-trips random samples within half a step', () => {
    const rnd = seededRandom(7);
    const s = Int16Array.from({ length: 20000 }, () => Math.round((rnd() * 2 - 1) * 32767));
    const back = alawDecode(alawEncode(s));
    for (let i = 0; i < s.length; i++) {
      const clipped = Math.max(-32256, Math.min(32256, s[i]!));
      assert.ok(Math.abs(clipped - back[i]!) <= alawBound(clipped), `sample ${s[i]} → ${back[i]}`);
    }
  });
});

describe('PCM16 views', () => {
  it('reads little-endian without copying when aligned', () => {
    const bytes = Uint8Array.of(0x01, 0x00, 0xff, 0xff, 0x00, 0x80);
    const s = pcm16ToSamples(bytes);
    assert.deepEqual([...s], [1, -1, -32768]);
    assert.equal(s.buffer, bytes.buffer);
    assert.deepEqual([...samplesToPcm16(s)], [...bytes]);
  });

  it('copies unaligned input, ignores a dangling odd byte', () => {
    const backing = Uint8Array.of(9, 0x34, 0x12, 0xcd, 0xab, 0x77);
    const s = pcm16ToSamples(backing.subarray(1));
    assert.deepEqual([...s], [0x1234, 0xabcd - 0x10000]);
    assert.notEqual(s.buffer, backing.buffer);
  });

  it('swap16 converts network-order L16', () => {
    assert.deepEqual([...swap16(Uint8Array.of(0x12, 0x34, 0x56))], [0x34, 0x12]);
  });
});

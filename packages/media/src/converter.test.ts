import assert from 'node:assert/strict';
import { before, describe, it, test } from 'node:test';
import { FormatAdapter, FormatConverter } from './converter.js';
import {
  ALAW_8K,
  type AudioFrame,
  frameDurationMs,
  MULAW_8K,
  PCM16_8K,
  PCM16_16K,
  PCM16_24K,
} from './format.js';
import { alawDecode, mulawDecode, mulawEncode } from './g711.js';
import { toneAmplitude } from './goertzel.js';
import { pcm16ToSamples } from './pcm.js';
import { sineFrame } from './testing.js';
import { initMedia } from './wasm.js';

describe('FormatConverter', () => {
  before(() => initMedia());

  it('relays μ-law to a μ-law consumer untouched: same object, bytes a G.711 round trip would change', () => {
    // 0x7F is μ-law "negative zero": decoding and re-encoding turns it into 0xFF.
    const pattern = Uint8Array.from({ length: 160 }, (_, i) => (i % 2 ? 0x7f : 0x00));
    assert.notDeepEqual([...mulawEncode(mulawDecode(pattern))], [...pattern], 'the check can fail');
    const conv = new FormatConverter(MULAW_8K, { encoding: 'mulaw', sampleRate: 8000 });
    assert.equal(conv.passthrough, true);
    const frame = { format: MULAW_8K, data: pattern };
    const out = conv.convert(frame);
    assert.equal(out, frame);
    assert.equal(out.data, pattern);
    assert.deepEqual([...out.data.subarray(0, 4)], [0x00, 0x7f, 0x00, 0x7f]);
  });

  it('decodes μ-law to pcm16 at the same rate without resampling', () => {
    const conv = new FormatConverter(MULAW_8K, PCM16_8K);
    assert.equal(conv.passthrough, false);
    const data = Uint8Array.from({ length: 160 }, (_, i) => i);
    const out = conv.convert({ format: MULAW_8K, data });
    assert.deepEqual(out.format, PCM16_8K);
    assert.deepEqual([...pcm16ToSamples(out.data)], [...mulawDecode(data)]);
  });

  it('converts OpenAI 24k pcm16 to μ-law 8k with the tone intact and 20 ms per 20 ms', () => {
    const conv = new FormatConverter(PCM16_24K, MULAW_8K);
    const decoded: number[] = [];
    for (let i = 0; i < 50; i++) {
      const out = conv.convert(sineFrame(1000, PCM16_24K, 20, 0.5));
      assert.equal(out.format, MULAW_8K);
      assert.equal(frameDurationMs(out), 20);
      decoded.push(...mulawDecode(out.data));
    }
    conv.destroy();
    const a = toneAmplitude(Int16Array.from(decoded.slice(800)), 1000, 8000);
    assert.ok(Math.abs(a - 0.5) < 0.03, `amplitude ${a}`);
  });

  it('upsamples A-law 8k to pcm16 16k', () => {
    const conv = new FormatConverter(ALAW_8K, PCM16_16K);
    const out = conv.convert(sineFrame(500, ALAW_8K, 100, 0.5));
    assert.equal(out.data.length, 3200);
    assert.ok(toneAmplitude(pcm16ToSamples(out.data).subarray(400), 500, 16000) > 0.4);
    assert.ok(alawDecode(new Uint8Array(0)).length === 0);
  });

  it('passes through a frame already in the target format and adapts to a rate change', () => {
    const conv = new FormatConverter(PCM16_8K, PCM16_16K);
    const already = sineFrame(300, PCM16_16K, 20);
    assert.equal(conv.convert(already), already);
    const out = conv.convert(sineFrame(300, PCM16_24K, 20));
    assert.deepEqual(out.format, PCM16_16K);
    assert.ok(Math.abs(out.data.length - 640) <= 4);
    conv.destroy();
  });

  it('tolerates a pcm16 frame with an odd byte count', () => {
    const conv = new FormatConverter(PCM16_8K, MULAW_8K);
    const out = conv.convert({ format: PCM16_8K, data: new Uint8Array(321) });
    assert.equal(out.data.length, 160);
  });
});

describe('FormatAdapter', () => {
  before(() => initMedia());

  test('passes target-format frames through and converts every other source with its own state', () => {
    const a = new FormatAdapter(PCM16_8K);
    const same: AudioFrame = { format: PCM16_8K, data: new Uint8Array(320) };
    assert.equal(a.convert(same), same);
    const mu = a.convert({ format: MULAW_8K, data: new Uint8Array(160).fill(0xff) });
    assert.deepEqual(mu.format, PCM16_8K);
    assert.equal(mu.data.byteLength, 320);
    const wide = a.convert({ format: PCM16_16K, data: new Uint8Array(640) });
    assert.deepEqual(wide.format, PCM16_8K);
    a.destroy();
  });

  test('regression: a converter declared pcm16→pcm16 still decodes a μ-law frame it is handed', () => {
    const c = new FormatConverter(PCM16_8K, PCM16_8K);
    const out = c.convert({ format: MULAW_8K, data: new Uint8Array(160).fill(0x00) });
    assert.equal(out.format.encoding, 'pcm16');
    assert.equal(out.data.byteLength, 320);
  });
});

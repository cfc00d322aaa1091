import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { toneAmplitude } from './goertzel.js';
import { createResampler } from './resampler.js';
import { sineSamples } from './testing.js';
import { initMedia } from './wasm.js';

/** Feeds `input` through a resampler in 20 ms chunks, as a call would. */
function streamed(from: number, to: number, input: Int16Array, quality?: number): Int16Array {
  const r = createResampler(from, to, quality);
  const chunk = from / 50;
  const parts: Int16Array[] = [];
  for (let i = 0; i < input.length; i += chunk) parts.push(r.process(input.subarray(i, i + chunk)));
  r.destroy();
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Tone amplitude measured away from the start, after the filter has settled. */
const steadyAmplitude = (s: Int16Array, freq: number, rate: number) =>
  toneAmplitude(s.subarray(rate / 10, s.length - rate / 20), freq, rate);

describe('createResampler (speex WASM)', () => {
  before(() => initMedia());

  it('passes a 1 kHz tone from 24k to 8k at full level', () => {
    const out = streamed(24000, 8000, sineSamples(1000, 24000, 1000, 0.5));
    assert.ok(Math.abs(out.length - 8000) <= 2, `length ${out.length}`);
    const a = steadyAmplitude(out, 1000, 8000);
    assert.ok(a > 0.45 && a < 0.55, `1 kHz amplitude ${a}`);
  });

  it('suppresses a 5 kHz tone going 24k to 8k instead of aliasing it to 3 kHz', () => {
    const out = streamed(24000, 8000, sineSamples(5000, 24000, 1000, 0.5));
    const alias = steadyAmplitude(out, 3000, 8000);
    // -40 dB relative to the input; linear interpolation would leave it near 0.5.
    assert.ok(alias < 0.005, `3 kHz alias amplitude ${alias}`);
  });

  it('upsamples 8k to 16k keeping the tone and exact length in steady state', () => {
    const r = createResampler(8000, 16000);
    const lengths = new Set<number>();
    const parts: Int16Array[] = [];
    const input = sineSamples(440, 8000, 1000, 0.3);
    for (let i = 0; i < input.length; i += 160) {
      const o = r.process(input.subarray(i, i + 160));
      if (i > 0) lengths.add(o.length);
      parts.push(o);
    }
    r.destroy();
    assert.deepEqual([...lengths], [320]);
    const all = Int16Array.from(parts.flatMap((p) => [...p]));
    const a = steadyAmplitude(all, 440, 16000);
    assert.ok(Math.abs(a - 0.3) < 0.02, `amplitude ${a}`);
  });

  it('keeps state across frames: chunked output equals one-shot output', () => {
    const input = sineSamples(700, 16000, 500, 0.4);
    const one = createResampler(16000, 8000);
    const whole = one.process(input);
    one.destroy();
    const chunked = streamed(16000, 8000, input);
    assert.deepEqual([...chunked], [...whole]);
  });

  it('handles odd ratios and large chunks (22050 → 8000)', () => {
    const r = createResampler(22050, 8000);
    const out = r.process(sineSamples(500, 22050, 2000, 0.5));
    r.destroy();
    assert.ok(Math.abs(out.length - 16000) < 64, `length ${out.length}`);
    assert.ok(Math.abs(steadyAmplitude(out, 500, 8000) - 0.5) < 0.03);
  });

  it('equal rates copy; destroyed resamplers return nothing; bad rates are rejected', () => {
    const same = createResampler(8000, 8000);
    const x = Int16Array.of(1, 2, 3);
    const y = same.process(x);
    assert.deepEqual([...y], [1, 2, 3]);
    assert.notEqual(y, x);
    const r = createResampler(8000, 16000);
    r.destroy();
    r.destroy();
    assert.equal(r.process(x).length, 0);
    assert.throws(() => createResampler(0, 8000), RangeError);
  });
});

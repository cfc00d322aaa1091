import { encodeSamples } from './codec.js';
import type { AudioFormat, AudioFrame } from './format.js';

export { FakeClock } from './clock.js';

/** Samples of a sine tone; `amplitude` is a fraction of full scale. */
export function sineSamples(
  freq: number,
  sampleRate: number,
  ms: number,
  amplitude = 0.5,
  phase = 0,
): Int16Array {
  const n = Math.round((sampleRate * ms) / 1000);
  const out = new Int16Array(n);
  const w = (2 * Math.PI * freq) / sampleRate;
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin(w * i + phase) * amplitude * 32767);
  return out;
}

/** Deterministic uniform white noise (xorshift32) with the given peak amplitude. */
export function noiseSamples(sampleRate: number, ms: number, amplitude = 0.01, seed = 1): Int16Array {
  const n = Math.round((sampleRate * ms) / 1000);
  const out = new Int16Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = Math.round(((x / 0xffffffff) * 2 - 1) * amplitude * 32767);
  }
  return out;
}

/** A sine tone as a frame of any format. */
export const sineFrame = (freq: number, format: AudioFormat, ms: number, amplitude = 0.5): AudioFrame => ({
  format,
  data: encodeSamples(sineSamples(freq, format.sampleRate, ms, amplitude), format.encoding),
});

/** Deterministic pseudo-random numbers in [0, 1) for property tests (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

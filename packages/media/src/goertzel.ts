/**
 * Amplitude of one frequency component (0 … ~1 of full scale) by the Goertzel algorithm: a single
 * DFT bin, O(n), used by the DTMF detector and by tests that measure tones.
 */
export function toneAmplitude(samples: Int16Array, freq: number, sampleRate: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[i]! / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

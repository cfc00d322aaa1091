import { type AudioFormat, type AudioFrame, bytesForMs } from './format.js';
import { ALAW_SILENCE, MULAW_SILENCE } from './g711.js';

/** Floor returned by `dbfs` for digital silence, so callers never see -Infinity. */
export const DBFS_FLOOR = -100;

/** Root mean square of the samples, normalised to full scale (0 … ~1). Empty input gives 0. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    sum += s * s;
  }
  return Math.sqrt(sum / samples.length) / 32768;
}

/**
 * Level in dB relative to full scale, from samples or from an `rms` value. A full-scale square
 * wave is 0 dBFS and a full-scale sine about -3 dBFS. Clamped below at `DBFS_FLOOR`.
 */
export function dbfs(input: Int16Array | number): number {
  const r = typeof input === 'number' ? input : rms(input);
  if (r <= 0) return DBFS_FLOOR;
  return Math.max(DBFS_FLOOR, 20 * Math.log10(r));
}

/** The byte that encodes zero signal in this format. */
export const silenceByte = (format: AudioFormat): number =>
  format.encoding === 'mulaw' ? MULAW_SILENCE : format.encoding === 'alaw' ? ALAW_SILENCE : 0;

/** A frame of digital silence, `ms` long, in the given format. */
export function silence(format: AudioFormat, ms: number): AudioFrame {
  const data = new Uint8Array(Math.max(0, bytesForMs(format, ms)));
  const b = silenceByte(format);
  if (b !== 0) data.fill(b);
  return { format, data };
}

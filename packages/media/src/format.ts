/**
 * Audio formats and frames. A frame carries its format, so every stage can tell whether it must
 * convert; conversion happens only where two ends disagree.
 */
export type AudioEncoding = 'pcm16' | 'mulaw' | 'alaw';
export type SampleRate = 8000 | 16000 | 24000 | 48000;

export interface AudioFormat {
  encoding: AudioEncoding;
  sampleRate: SampleRate;
}

export interface AudioFrame {
  format: AudioFormat;
  /** pcm16: little-endian signed 16-bit; mulaw/alaw: one byte per sample. Mono. */
  data: Uint8Array;
}

export const PCM16_8K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 8000 });
export const PCM16_16K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 16000 });
export const PCM16_24K: AudioFormat = Object.freeze({ encoding: 'pcm16', sampleRate: 24000 });
export const MULAW_8K: AudioFormat = Object.freeze({ encoding: 'mulaw', sampleRate: 8000 });
export const ALAW_8K: AudioFormat = Object.freeze({ encoding: 'alaw', sampleRate: 8000 });

export const bytesPerSample = (f: AudioFormat): number => (f.encoding === 'pcm16' ? 2 : 1);

export const sameFormat = (a: AudioFormat, b: AudioFormat): boolean =>
  a.encoding === b.encoding && a.sampleRate === b.sampleRate;

/** Bytes in `ms` milliseconds of audio in this format. */
export const bytesForMs = (f: AudioFormat, ms: number): number =>
  Math.round((f.sampleRate * ms) / 1000) * bytesPerSample(f);

/** Duration of a frame in milliseconds. */
export const frameDurationMs = (frame: AudioFrame): number =>
  (frame.data.byteLength / bytesPerSample(frame.format) / frame.format.sampleRate) * 1000;

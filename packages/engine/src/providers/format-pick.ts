import type { AudioFormat } from '@switchboard/media';
import { sameFormat } from '@switchboard/media';

/**
 * The adapter format to use for a call: the call's own when the adapter accepts it (no
 * conversion at all), else the linear format that loses least — same rate, then the nearest
 * higher rate, then the highest available.
 */
export function pickFormat(supported: readonly AudioFormat[], call: AudioFormat): AudioFormat {
  if (supported.length === 0 || supported.some((f) => sameFormat(f, call))) return call;
  const pcm = supported.filter((f) => f.encoding === 'pcm16').sort((a, b) => a.sampleRate - b.sampleRate);
  const same = pcm.find((f) => f.sampleRate === call.sampleRate);
  if (same) return same;
  const higher = pcm.find((f) => f.sampleRate > call.sampleRate);
  if (higher) return higher;
  return pcm.at(-1) ?? (supported[0] as AudioFormat);
}

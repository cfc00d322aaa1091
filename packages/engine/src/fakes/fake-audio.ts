import { type AudioFormat, type AudioFrame, bytesForMs } from '@switchboard/media';

const SILENT_BYTE = { mulaw: 0xff, alaw: 0xd5 } as const;

/** `ms` of audible (non-silent) audio: a square wave, so any detector calls it speech. */
export function speechFrame(format: AudioFormat, ms = 20): AudioFrame {
  const data = new Uint8Array(bytesForMs(format, ms));
  if (format.encoding === 'pcm16') {
    const view = new DataView(data.buffer);
    for (let i = 0; i < data.length / 2; i++) view.setInt16(i * 2, (i >> 3) % 2 ? 6000 : -6000, true);
  } else data.fill(format.encoding === 'mulaw' ? 0x20 : 0xa0);
  return { format, data };
}

/** `ms` of digital silence. */
export function silentFrame(format: AudioFormat, ms = 20): AudioFrame {
  const data = new Uint8Array(bytesForMs(format, ms));
  if (format.encoding !== 'pcm16') data.fill(SILENT_BYTE[format.encoding]);
  return { format, data };
}

/** True when every sample is (near) zero: what the fakes use instead of a real detector. */
export function isSilentFrame(frame: AudioFrame): boolean {
  const d = frame.data;
  if (frame.format.encoding === 'pcm16') {
    for (let i = 0; i + 1 < d.length; i += 2) {
      const v = (d[i] as number) | ((d[i + 1] as number) << 8);
      const s = v > 0x7fff ? v - 0x10000 : v;
      if (s > 64 || s < -64) return false;
    }
    return true;
  }
  const quiet = frame.format.encoding === 'mulaw' ? [0xff, 0x7f] : [0xd5, 0x55];
  for (const b of d) if (!quiet.includes(b)) return false;
  return true;
}

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { AudioEncoding } from './format.js';
import { alawDecode, mulawDecode } from './g711.js';

export interface WavData {
  format: { encoding: AudioEncoding; sampleRate: number };
  channels: number;
  /** Decoded 16-bit samples, one array per channel. */
  samples: Int16Array[];
}

export const WAV_HEADER_BYTES = 44;

/** A canonical 44-byte PCM16 header; `dataBytes` may be 0 and patched later. */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Uint8Array {
  const b = new Uint8Array(WAV_HEADER_BYTES);
  const v = new DataView(b.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) b[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  v.setUint32(4, Math.min(0xffffffff, 36 + dataBytes), true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, channels, true);
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * channels * 2, true);
  v.setUint16(32, channels * 2, true);
  v.setUint16(34, 16, true);
  ascii(36, 'data');
  v.setUint32(40, Math.min(0xffffffff, dataBytes), true);
  return b;
}

/** A whole PCM16 WAV file in memory; several channels are interleaved. */
export function encodeWav(samples: Int16Array | Int16Array[], sampleRate: number): Uint8Array {
  const chans = Array.isArray(samples) ? samples : [samples];
  const frames = Math.max(0, ...chans.map((c) => c.length));
  const out = new Uint8Array(WAV_HEADER_BYTES + frames * chans.length * 2);
  out.set(wavHeader(sampleRate, chans.length, frames * chans.length * 2));
  const v = new DataView(out.buffer);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < chans.length; c++) {
      v.setInt16(WAV_HEADER_BYTES + (i * chans.length + c) * 2, chans[c]![i] ?? 0, true);
    }
  }
  return out;
}

/** Writes a PCM16 WAV file (for tests and fixtures; recordings use StereoWavWriter). */
export async function writeWavFile(path: string, samples: Int16Array | Int16Array[], sampleRate: number) {
  await writeFile(path, encodeWav(samples, sampleRate));
}

/**
 * Parses a WAV file: PCM16, μ-law (format 7) and A-law (6), plain or WAVE_FORMAT_EXTENSIBLE.
 * Unknown chunks are skipped. A data size of 0 or 0xFFFFFFFF (a stream that was never patched)
 * means "to the end of the file".
 */
export function readWav(input: Uint8Array | string): WavData {
  const buf = typeof input === 'string' ? new Uint8Array(readFileSync(input)) : input;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (at: number) => String.fromCharCode(...buf.subarray(at, at + 4));
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let fmt: { code: number; channels: number; rate: number; bits: number } | undefined;
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = tag(at);
    let size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      let code = v.getUint16(body, true);
      if (code === 0xfffe && size >= 26) code = v.getUint16(body + 24, true);
      fmt = {
        code,
        channels: v.getUint16(body + 2, true),
        rate: v.getUint32(body + 4, true),
        bits: v.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error('WAV data chunk before fmt chunk');
      if (size === 0 || size === 0xffffffff || body + size > buf.length) size = buf.length - body;
      return decodeData(buf.subarray(body, body + size), fmt);
    }
    at = body + size + (size & 1);
  }
  throw new Error('WAV file has no data chunk');
}

function decodeData(
  data: Uint8Array,
  fmt: { code: number; channels: number; rate: number; bits: number },
): WavData {
  const ch = fmt.channels;
  if (ch < 1) throw new Error('WAV file declares no channels');
  let encoding: AudioEncoding;
  let all: Int16Array;
  if (fmt.code === 1 && fmt.bits === 16) {
    encoding = 'pcm16';
    all = new Int16Array(data.length >> 1);
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let i = 0; i < all.length; i++) all[i] = v.getInt16(i * 2, true);
  } else if (fmt.code === 7 && fmt.bits === 8) {
    encoding = 'mulaw';
    all = mulawDecode(data);
  } else if (fmt.code === 6 && fmt.bits === 8) {
    encoding = 'alaw';
    all = alawDecode(data);
  } else {
    throw new Error(`unsupported WAV format ${fmt.code} with ${fmt.bits} bits`);
  }
  const frames = Math.floor(all.length / ch);
  const samples = Array.from({ length: ch }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < ch; c++) samples[c]![i] = all[i * ch + c]!;
  return { format: { encoding, sampleRate: fmt.rate }, channels: ch, samples };
}

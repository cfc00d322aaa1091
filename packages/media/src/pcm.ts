/**
 * PCM16 byte ↔ sample views. Wire PCM16 is little-endian on every transport we carry
 * (protocols.md §0); RTP L16 is big-endian and must be swapped by its connector with `swap16`.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Little-endian PCM16 bytes as samples. Returns a view over the same memory when the bytes are
 * 2-byte aligned (no copy), otherwise a copy. A dangling odd byte is ignored.
 */
export function pcm16ToSamples(bytes: Uint8Array): Int16Array {
  const n = bytes.byteLength >> 1;
  if (LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >> 16;
  return out;
}

/** Samples as little-endian PCM16 bytes; a view over the same memory (no copy). */
export function samplesToPcm16(samples: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const out = new Uint8Array(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    out[2 * i] = s & 0xff;
    out[2 * i + 1] = (s >> 8) & 0xff;
  }
  return out;
}

/** Swaps the byte order of 16-bit samples into a new buffer (RTP L16 is big-endian). */
export function swap16(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.byteLength & ~1);
  for (let i = 0; i + 1 < bytes.byteLength; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}

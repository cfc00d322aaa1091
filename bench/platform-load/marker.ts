/**
 * A frame marker written into the audio itself, so the echo tells per frame which call and which
 * frame came back and when it was sent: true loss, round trip and jitter, whatever the platform
 * does to the frame on the way (μ-law and back, a gain, a copy). Each bit is two samples of ±AMP:
 * G.711 keeps the sign of a loud sample, and a pair survives a mild low-pass. 76 bits in 152 of a
 * 20 ms frame's 160 samples at 8 kHz:
 *   magic 4 | call 12 | seq 20 | send time 32 (10 µs units, monotonic clock, mod 2^32) | check 8
 */

export const MARKER_SAMPLES = 160;
const AMP = 12_000;
const MAGIC = 0b1011;
const BITS = 76;
const TIME_UNITS_PER_MS = 100;
const TIME_WRAP = 2 ** 32;

export interface Marker {
  call: number;
  seq: number;
  /** Send time on the monotonic clock (ms), unwrapped against the reader's now. */
  sentMs: number;
}

const check = (call: number, seq: number, t: number) =>
  (call ^ (call >>> 8) ^ seq ^ (seq >>> 8) ^ (seq >>> 16) ^ t ^ (t >>> 8) ^ (t >>> 16) ^ (t >>> 24) ^ 0x5a) &
  0xff;

/** Writes the marker as PCM16 LE into `out` at `offset` (320 bytes). */
export function writeMarker(out: Buffer, offset: number, call: number, seq: number, sentMs: number): void {
  const t = Math.round(sentMs * TIME_UNITS_PER_MS) % TIME_WRAP;
  const c = call & 0xfff;
  const q = seq & 0xfffff;
  let bit = 0;
  const put = (value: number, width: number) => {
    for (let i = width - 1; i >= 0; i--) {
      // Two samples per bit; `value / 2 ** i` keeps 32-bit values exact (no signed shifts).
      const one = Math.floor(value / 2 ** i) % 2 === 1;
      const s = one ? AMP : -AMP;
      out.writeInt16LE(s, offset + 4 * bit);
      out.writeInt16LE(s, offset + 4 * bit + 2);
      bit++;
    }
  };
  put(MAGIC, 4);
  put(c, 12);
  put(q, 20);
  put(t, 32);
  put(check(c, q, t), 8);
  out.fill(0, offset + 4 * BITS, offset + 2 * MARKER_SAMPLES);
}

/** Reads a marker from PCM16 LE at `offset`, or undefined when the frame carries none. */
export function readMarker(data: Buffer, offset: number, nowMs: number): Marker | undefined {
  if (data.length - offset < 4 * BITS) return undefined;
  let bit = 0;
  const get = (width: number) => {
    let v = 0;
    for (let i = 0; i < width; i++) {
      const s = data.readInt16LE(offset + 4 * bit) + data.readInt16LE(offset + 4 * bit + 2);
      v = v * 2 + (s > 0 ? 1 : 0);
      bit++;
    }
    return v;
  };
  if (get(4) !== MAGIC) return undefined;
  const call = get(12);
  const seq = get(20);
  const t = get(32);
  if (get(8) !== check(call, seq, t)) return undefined;
  const now = Math.round(nowMs * TIME_UNITS_PER_MS);
  const age = (((now - t) % TIME_WRAP) + TIME_WRAP) % TIME_WRAP;
  return { call, seq, sentMs: (now - age) / TIME_UNITS_PER_MS };
}

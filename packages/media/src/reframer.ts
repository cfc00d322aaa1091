import { type AudioFormat, type AudioFrame, bytesForMs } from './format.js';
import { silenceByte } from './level.js';

/**
 * Cuts a byte stream into exact `frameMs` frames of one format, carrying the remainder across
 * calls. Chunk boundaries may fall anywhere, including inside a pcm16 sample: the dangling byte is
 * held until its partner arrives, so nothing is ever misaligned and nothing throws.
 */
export class Reframer {
  readonly frameBytes: number;
  private pending: Uint8Array;
  private pendingLen = 0;

  constructor(
    readonly format: AudioFormat,
    readonly frameMs = 20,
  ) {
    this.frameBytes = bytesForMs(format, frameMs);
    if (this.frameBytes <= 0) throw new RangeError(`frameMs ${frameMs} gives an empty frame`);
    this.pending = new Uint8Array(this.frameBytes);
  }

  /** Bytes held back waiting for a full frame. */
  get pendingBytes(): number {
    return this.pendingLen;
  }

  /** Milliseconds of audio held back (whole samples only). */
  get pendingMs(): number {
    const bps = this.format.encoding === 'pcm16' ? 2 : 1;
    return (Math.floor(this.pendingLen / bps) / this.format.sampleRate) * 1000;
  }

  /** Adds bytes (or a frame's bytes) and returns every complete frame; each frame owns fresh memory. */
  push(chunk: Uint8Array | AudioFrame): AudioFrame[] {
    const data = chunk instanceof Uint8Array ? chunk : chunk.data;
    const out: AudioFrame[] = [];
    let offset = 0;
    if (this.pendingLen > 0) {
      const take = Math.min(this.frameBytes - this.pendingLen, data.length);
      this.pending.set(data.subarray(0, take), this.pendingLen);
      this.pendingLen += take;
      offset = take;
      if (this.pendingLen < this.frameBytes) return out;
      out.push({ format: this.format, data: this.pending });
      this.pending = new Uint8Array(this.frameBytes);
      this.pendingLen = 0;
    }
    while (data.length - offset >= this.frameBytes) {
      out.push({ format: this.format, data: data.slice(offset, offset + this.frameBytes) });
      offset += this.frameBytes;
    }
    if (offset < data.length) {
      this.pending.set(data.subarray(offset), 0);
      this.pendingLen = data.length - offset;
    }
    return out;
  }

  /**
   * The held remainder as one full frame padded with silence, or undefined when nothing is held.
   * A dangling half sample is dropped (it cannot be completed), so the padding stays silent.
   */
  flush(): AudioFrame | undefined {
    let len = this.pendingLen;
    if (this.format.encoding === 'pcm16') len &= ~1;
    this.pendingLen = 0;
    if (len === 0) return undefined;
    const data = this.pending;
    data.fill(silenceByte(this.format), len);
    this.pending = new Uint8Array(this.frameBytes);
    return { format: this.format, data };
  }

  /** Drops whatever is held; returns the dropped bytes. */
  reset(): number {
    const n = this.pendingLen;
    this.pendingLen = 0;
    return n;
  }
}

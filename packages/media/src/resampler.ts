import { speexModule } from './wasm.js';

/**
 * Streaming resampler over the SpeexDSP WASM build. We call the raw Emscripten exports ourselves
 * (the package ships no JS API or types) because each stream needs its own filter state: the
 * filter history carries across frames, so 20 ms chunks resample exactly as one long signal
 * would, without clicks at frame edges. The wrapper owns WASM heap buffers and must be destroyed.
 */
export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Resamples the next chunk of the stream; returns a new array the caller owns. */
  process(samples: Int16Array): Int16Array;
  /** Frees the WASM state. Further `process` calls return empty arrays. */
  destroy(): void;
}

/**
 * Speex quality 0–10. Downsampling needs a steep anti-alias filter: q3 already attenuates a
 * 3.8 kHz tone by 23 dB going 24k→8k, q5 keeps the band flatter at similar cost (deps.md §5).
 * Upsampling has nothing to alias, so q4 is enough.
 */
export const DEFAULT_DOWNSAMPLE_QUALITY = 5;
export const DEFAULT_UPSAMPLE_QUALITY = 4;

/** Input samples copied into the WASM heap per call; larger chunks are processed in slices. */
const CHUNK = 4096;

class SpeexResampler implements Resampler {
  private state: number;
  private readonly inPtr: number;
  private readonly outPtr: number;
  private readonly lenPtr: number;
  private readonly outCap: number;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    quality: number,
  ) {
    const m = speexModule();
    this.outCap = Math.ceil((CHUNK * toRate) / fromRate) + 64;
    this.lenPtr = m._malloc(12);
    this.inPtr = m._malloc(CHUNK * 2);
    this.outPtr = m._malloc(this.outCap * 2);
    this.state = m._speex_resampler_init(1, fromRate, toRate, quality, this.lenPtr + 8);
    const err = m.HEAP32[(this.lenPtr + 8) >> 2];
    if (!this.state || err !== 0) {
      this.free();
      throw new RangeError(
        `speex resampler init failed for ${fromRate}→${toRate} q${quality} (error ${err})`,
      );
    }
  }

  process(samples: Int16Array): Int16Array {
    if (!this.state || samples.length === 0) return new Int16Array(0);
    const m = speexModule();
    const parts: Int16Array[] = [];
    let total = 0;
    let offset = 0;
    while (offset < samples.length) {
      const n = Math.min(CHUNK, samples.length - offset);
      // Re-read HEAP views on every call: they are replaced when the WASM memory grows.
      m.HEAP16.set(samples.subarray(offset, offset + n), this.inPtr >> 1);
      m.HEAPU32[this.lenPtr >> 2] = n;
      m.HEAPU32[(this.lenPtr + 4) >> 2] = this.outCap;
      m._speex_resampler_process_int(this.state, 0, this.inPtr, this.lenPtr, this.outPtr, this.lenPtr + 4);
      const consumed = m.HEAPU32[this.lenPtr >> 2]!;
      const written = m.HEAPU32[(this.lenPtr + 4) >> 2]!;
      if (written > 0) {
        parts.push(m.HEAP16.slice(this.outPtr >> 1, (this.outPtr >> 1) + written));
        total += written;
      }
      if (consumed === 0 && written === 0) break; // cannot make progress; never spin
      offset += consumed;
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Int16Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  destroy(): void {
    if (!this.state) return;
    this.free();
  }

  private free(): void {
    const m = speexModule();
    if (this.state) m._speex_resampler_destroy(this.state);
    this.state = 0;
    m._free(this.inPtr);
    m._free(this.outPtr);
    m._free(this.lenPtr);
  }
}

class IdentityResampler implements Resampler {
  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {}
  process(samples: Int16Array): Int16Array {
    return samples.slice();
  }
  destroy(): void {}
}

/**
 * A streaming resampler with its own filter state. Requires `await initMedia()` first (unless the
 * rates are equal). Quality defaults to 5 when downsampling and 4 when upsampling.
 */
export function createResampler(fromRate: number, toRate: number, quality?: number): Resampler {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
    throw new RangeError(`invalid resampler rates ${fromRate}→${toRate}`);
  }
  if (fromRate === toRate) return new IdentityResampler(fromRate, toRate);
  const q = quality ?? (toRate < fromRate ? DEFAULT_DOWNSAMPLE_QUALITY : DEFAULT_UPSAMPLE_QUALITY);
  return new SpeexResampler(fromRate, toRate, Math.max(0, Math.min(10, Math.round(q))));
}

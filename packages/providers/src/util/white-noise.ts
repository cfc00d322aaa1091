/**
 * A faint, seeded noise floor for recognisers that fail on digital silence: PocketSphinx's front
 * end takes log energies, so silence between words (μ-law 0xFF, synthetic prompts) or upsampled
 * telephone audio with nothing above 4 kHz leaves it hearing almost nothing (peers.md §2,
 * asr8k.sh). Seeded, so a call's audio is recognised the same way every time.
 */
export class WhiteNoise {
  #state: number;
  readonly #peak: number;

  /** `amplitude` is the peak as a fraction of full scale (sox `whitenoise vol 0.01` is 0.01). */
  constructor(amplitude = 0.01, seed = 0x5eed) {
    this.#peak = amplitude * 32767;
    this.#state = seed >>> 0 || 1;
  }

  /** A copy of `samples` with noise added, clipped to 16 bits. */
  addTo(samples: Int16Array): Int16Array {
    const out = new Int16Array(samples.length);
    let x = this.#state;
    for (let i = 0; i < samples.length; i++) {
      // xorshift32: fast, and its sequence depends only on the seed.
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      const v = (samples[i] as number) + Math.round(((x / 0xffffffff) * 2 - 1) * this.#peak);
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    this.#state = x;
    return out;
  }

  /**
   * `samples` as floats in [-1, 1] with the noise added, written into `out` (no allocation: this
   * runs on every caller frame).
   */
  addToFloat(samples: Int16Array, out: Float32Array): void {
    const peak = this.#peak / 32767;
    let x = this.#state;
    for (let i = 0; i < samples.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = (samples[i] as number) / 32768 + ((x / 0xffffffff) * 2 - 1) * peak;
    }
    this.#state = x;
  }
}

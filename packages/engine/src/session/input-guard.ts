import type { Logger } from '@switchboard/core';
import { type AudioFormat, type AudioFrame, FormatAdapter } from '@switchboard/media';

const RATES = new Set([8000, 16000, 24000, 48000]);
const ENCODINGS = new Set(['pcm16', 'mulaw', 'alaw']);

/**
 * The edge between a connector and the session: frames that are malformed are repaired (a stray
 * odd byte is carried to the next frame, another format is converted) or dropped, never thrown.
 */
export class InputGuard {
  dropped = 0;
  repaired = 0;
  readonly #format: AudioFormat;
  readonly #logger: Logger;
  readonly #adapter: FormatAdapter;
  #carry: number | undefined;
  #warned = false;

  constructor(format: AudioFormat, logger: Logger) {
    this.#format = format;
    this.#logger = logger;
    this.#adapter = new FormatAdapter(format);
  }

  accept(frame: AudioFrame): AudioFrame | undefined {
    const f = frame as Partial<AudioFrame> | null | undefined;
    if (!f || !(f.data instanceof Uint8Array) || !f.format) return this.#drop('not an audio frame');
    if (!ENCODINGS.has(f.format.encoding) || !RATES.has(f.format.sampleRate)) {
      return this.#drop('unsupported format');
    }
    let data = f.data;
    if (f.format.encoding === 'pcm16') {
      if (this.#carry !== undefined) {
        const joined = new Uint8Array(data.byteLength + 1);
        joined[0] = this.#carry;
        joined.set(data, 1);
        data = joined;
        this.#carry = undefined;
      }
      if (data.byteLength % 2 === 1) {
        this.#carry = data[data.byteLength - 1];
        data = data.subarray(0, data.byteLength - 1);
        this.repaired++;
      }
    }
    if (data.byteLength === 0) return this.#drop('empty frame');
    let out: AudioFrame = data === f.data ? (f as AudioFrame) : { format: f.format, data };
    if (out.format.encoding !== this.#format.encoding || out.format.sampleRate !== this.#format.sampleRate) {
      this.repaired++;
      out = this.#adapter.convert(out);
    }
    return out;
  }

  destroy(): void {
    this.#adapter.destroy();
  }

  #drop(why: string): undefined {
    this.dropped++;
    if (!this.#warned) {
      this.#warned = true;
      this.#logger.warn({ why }, 'dropping malformed caller audio');
    }
    return undefined;
  }
}

import { decodeFrame, encodeSamples } from './codec.js';
import { type AudioFormat, type AudioFrame, sameFormat } from './format.js';
import { createResampler, type Resampler } from './resampler.js';

/**
 * Converts one stream of frames between two formats: decode → resample → encode, each step only
 * where the ends disagree. Equal formats are a passthrough: the same frame object comes back,
 * untouched, so μ-law relayed to a μ-law consumer is never decoded and re-encoded (a G.711
 * round trip is lossy for some codes, e.g. μ-law 0x7F "negative zero").
 *
 * Frames are expected in `from`; a frame that already has the `to` format is passed through,
 * and a frame at another rate gets a fresh resampler rather than an error, so a peer that
 * changes format mid-call degrades to a filter reset instead of a dropped call.
 */
export class FormatConverter {
  readonly passthrough: boolean;
  private resampler: Resampler | undefined;
  private scratch = new Int16Array(0);

  constructor(
    readonly from: AudioFormat,
    readonly to: AudioFormat,
  ) {
    this.passthrough = sameFormat(from, to);
    // Created eagerly so a missing initMedia() fails at setup, not on the first audio frame.
    if (from.sampleRate !== to.sampleRate) this.resampler = createResampler(from.sampleRate, to.sampleRate);
  }

  convert(frame: AudioFrame): AudioFrame {
    // Decided per frame: a stream declared in the target format may still deliver another one.
    if (sameFormat(frame.format, this.to)) return frame;
    const inRate = frame.format.sampleRate;
    if (frame.format.encoding !== 'pcm16' && this.scratch.length < frame.data.length) {
      this.scratch = new Int16Array(frame.data.length);
    }
    let samples = decodeFrame(frame, this.scratch);
    if (inRate !== this.to.sampleRate) {
      if (!this.resampler || this.resampler.fromRate !== inRate) {
        this.resampler?.destroy();
        this.resampler = createResampler(inRate, this.to.sampleRate);
      }
      samples = this.resampler.process(samples);
    }
    return { format: this.to, data: encodeSamples(samples, this.to.encoding) };
  }

  destroy(): void {
    this.resampler?.destroy();
    this.resampler = undefined;
  }
}

/**
 * Brings frames of any format to one target format: a frame already in the target passes through
 * untouched; any other source format gets its own FormatConverter, kept for the stream's life so
 * each source keeps its resampler state. The one place connectors and the session edge normalise
 * audio whose format they do not control.
 */
export class FormatAdapter {
  readonly #converters = new Map<string, FormatConverter>();

  constructor(readonly to: AudioFormat) {}

  convert(frame: AudioFrame): AudioFrame {
    if (sameFormat(frame.format, this.to)) return frame;
    const key = `${frame.format.encoding}/${frame.format.sampleRate}`;
    let c = this.#converters.get(key);
    if (!c) {
      c = new FormatConverter(frame.format, this.to);
      this.#converters.set(key, c);
    }
    return c.convert(frame);
  }

  destroy(): void {
    for (const c of this.#converters.values()) c.destroy();
    this.#converters.clear();
  }
}

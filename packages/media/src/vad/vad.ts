import { decodeFrame } from '../codec.js';
import type { AudioFrame } from '../format.js';
import { createResampler, type Resampler } from '../resampler.js';

export type VadEvent = 'speech-start' | 'speech-end';

export interface VadResult {
  /** Speech probability of the most recent analysis window, 0–1. */
  probability: number;
  /** Debounced state after this frame. */
  speaking: boolean;
  /** Set on the frame where the debounced state changed. */
  event?: VadEvent;
}

export interface VadOptions {
  /** Probability at or above which a window counts as speech. */
  threshold?: number;
  /** Speech must last this long before `speech-start` (rejects clicks and coughs). */
  minSpeechMs?: number;
  /** Silence must last this long before `speech-end` (bridges pauses between words). */
  minSilenceMs?: number;
}

/**
 * A voice activity detector for one audio stream. `process` is async for every implementation
 * because Silero inference in onnxruntime is async; callers await each frame in order (calls are
 * also serialised internally, so an un-awaited burst is still processed in order). `process`
 * accepts frames of any format, rate and size and never rejects on malformed input: it returns
 * the previous state instead.
 */
export interface VoiceActivityDetector {
  process(frame: AudioFrame): Promise<VadResult>;
  /** Forgets the stream state (model state, debounce), e.g. after the agent's turn. */
  reset(): void;
  /** Frees resources; later `process` calls return a non-speaking result. */
  close(): void;
}

export const DEFAULT_VAD_OPTIONS: Required<VadOptions> = {
  threshold: 0.5,
  minSpeechMs: 150,
  minSilenceMs: 300,
};

/**
 * Hysteresis on per-window probabilities: `threshold` to enter speech, `threshold − 0.15` to
 * leave it (Silero's recommended negative threshold), each held for the minimum duration.
 */
export class SpeechDebouncer {
  speaking = false;
  private readonly opts: Required<VadOptions>;
  private readonly negThreshold: number;
  private speechMs = 0;
  private silenceMs = 0;

  constructor(opts: VadOptions = {}) {
    this.opts = { ...DEFAULT_VAD_OPTIONS, ...opts };
    this.negThreshold = Math.max(0.01, this.opts.threshold - 0.15);
  }

  update(probability: number, windowMs: number): VadEvent | undefined {
    if (!this.speaking) {
      if (probability >= this.opts.threshold) this.speechMs += windowMs;
      else if (probability < this.negThreshold) this.speechMs = 0;
      if (this.speechMs >= this.opts.minSpeechMs) {
        this.speaking = true;
        this.silenceMs = 0;
        return 'speech-start';
      }
      return undefined;
    }
    if (probability < this.negThreshold) this.silenceMs += windowMs;
    else if (probability >= this.opts.threshold) this.silenceMs = 0;
    if (this.silenceMs >= this.opts.minSilenceMs) {
      this.speaking = false;
      this.speechMs = 0;
      return 'speech-end';
    }
    return undefined;
  }

  reset(): void {
    this.speaking = false;
    this.speechMs = 0;
    this.silenceMs = 0;
  }
}

/**
 * Turns frames of any format into fixed windows of 16-bit samples at one rate: decodes G.711,
 * resamples other rates (lazily, per input rate) and carries partial windows across calls.
 */
export class WindowAssembler {
  private readonly buf: Int16Array;
  private len = 0;
  private resampler: Resampler | undefined;

  constructor(
    readonly sampleRate: number,
    readonly windowSamples: number,
  ) {
    this.buf = new Int16Array(windowSamples);
  }

  /** Complete windows contained in this frame (copies; safe to keep). */
  push(frame: AudioFrame): Int16Array[] {
    let samples = decodeFrame(frame);
    const rate = frame.format.sampleRate;
    if (rate !== this.sampleRate) {
      if (!this.resampler || this.resampler.fromRate !== rate) {
        this.resampler?.destroy();
        this.resampler = createResampler(rate, this.sampleRate);
      }
      samples = this.resampler.process(samples);
    }
    const out: Int16Array[] = [];
    let at = 0;
    while (at < samples.length) {
      const take = Math.min(this.windowSamples - this.len, samples.length - at);
      this.buf.set(samples.subarray(at, at + take), this.len);
      this.len += take;
      at += take;
      if (this.len === this.windowSamples) {
        out.push(this.buf.slice());
        this.len = 0;
      }
    }
    return out;
  }

  reset(): void {
    this.len = 0;
  }

  close(): void {
    this.resampler?.destroy();
    this.resampler = undefined;
  }
}

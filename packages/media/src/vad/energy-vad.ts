import type { AudioFrame } from '../format.js';
import { dbfs, rms } from '../level.js';
import {
  SpeechDebouncer,
  type VadOptions,
  type VadResult,
  type VoiceActivityDetector,
  WindowAssembler,
} from './vad.js';

export interface EnergyVadOptions extends VadOptions {
  sampleRate?: number;
  /** Level above the noise floor, in dB, that maps to probability 0.5. */
  marginDb?: number;
  /** Windows quieter than this are never speech, however quiet the floor. */
  minSpeechDbfs?: number;
}

const WINDOW_MS = 20;

/**
 * RMS detector with an adaptive noise floor; no dependencies, microseconds per frame. The floor
 * falls fast (it follows quiet windows within ~100 ms) and rises slowly (~5 s) and only outside
 * speech, so steady background noise is learned but speech is not. Probability is a logistic of
 * the level above the floor. Good enough as a fallback and pre-gate; Silero is far better in noise.
 */
export class EnergyVad implements VoiceActivityDetector {
  private readonly windows: WindowAssembler;
  private readonly debouncer: SpeechDebouncer;
  private readonly marginDb: number;
  private readonly minSpeechDbfs: number;
  private floorDb: number | undefined;
  private last: VadResult = { probability: 0, speaking: false };
  private closed = false;

  constructor(opts: EnergyVadOptions = {}) {
    const rate = opts.sampleRate ?? 8000;
    this.windows = new WindowAssembler(rate, (rate * WINDOW_MS) / 1000);
    this.debouncer = new SpeechDebouncer(opts);
    this.marginDb = opts.marginDb ?? 12;
    this.minSpeechDbfs = opts.minSpeechDbfs ?? -50;
  }

  async process(frame: AudioFrame): Promise<VadResult> {
    return this.processSync(frame);
  }

  /** The same as `process`, for callers that want to stay synchronous. */
  processSync(frame: AudioFrame): VadResult {
    if (this.closed) return { probability: 0, speaking: false };
    let windows: Int16Array[];
    try {
      windows = this.windows.push(frame);
    } catch {
      return { probability: this.last.probability, speaking: this.last.speaking };
    }
    let event: VadResult['event'];
    for (const w of windows) {
      const level = dbfs(rms(w));
      const p = this.probability(level);
      event = this.debouncer.update(p, WINDOW_MS) ?? event;
      this.adapt(level);
      this.last = { probability: p, speaking: this.debouncer.speaking };
    }
    return event ? { ...this.last, event } : { ...this.last };
  }

  reset(): void {
    this.debouncer.reset();
    this.windows.reset();
    this.last = { probability: 0, speaking: false };
  }

  close(): void {
    this.closed = true;
    this.windows.close();
  }

  private probability(level: number): number {
    if (level < this.minSpeechDbfs) return 0;
    const floor = this.floorDb ?? level;
    return 1 / (1 + Math.exp(-(level - floor - this.marginDb) / 2.5));
  }

  private adapt(level: number): void {
    if (this.floorDb === undefined) {
      this.floorDb = Math.max(level, -90);
      return;
    }
    if (level < this.floorDb) this.floorDb += (level - this.floorDb) * 0.2;
    else if (!this.debouncer.speaking) this.floorDb += (level - this.floorDb) * 0.004;
  }
}

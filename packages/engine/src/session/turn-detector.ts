import type { TimerScope } from '../util/clock.js';

export interface TurnDetectorOptions {
  endOfTurnSilenceMs: number;
  timers: TimerScope;
  /** The caller finished a turn saying `text`. */
  onTurn: (text: string, confidence?: number) => void;
  /** After the silence, how long to wait for a late final transcript before using the partial. */
  finalWaitMs?: number;
}

/**
 * Decides when the caller has finished: speech ended, `endOfTurnSilenceMs` of silence followed,
 * and the recogniser has produced words. Finals within one turn are joined; noise with no words
 * ends nothing.
 */
export class TurnDetector {
  readonly #o: TurnDetectorOptions;
  #speaking = false;
  #silenceElapsed = false;
  #finals: string[] = [];
  /** The lowest confidence among the turn's finals; undefined when none reported one. */
  #confidence: number | undefined;
  #partial = '';
  #cancelSilence: (() => void) | undefined;
  #cancelFinalWait: (() => void) | undefined;

  constructor(opts: TurnDetectorOptions) {
    this.#o = opts;
  }

  /** Text heard so far in the current turn (finals plus the live partial). */
  get text(): string {
    return [...this.#finals, this.#partial].filter(Boolean).join(' ');
  }

  speechStart(): void {
    this.#speaking = true;
    this.#silenceElapsed = false;
    this.#cancelTimers();
  }

  speechEnd(): void {
    this.#speaking = false;
    this.#cancelTimers();
    this.#cancelSilence = this.#o.timers.timeout(() => {
      this.#cancelSilence = undefined;
      this.#silenceElapsed = true;
      this.#tryCommit();
    }, this.#o.endOfTurnSilenceMs);
  }

  partial(text: string): void {
    this.#partial = text;
  }

  final(text: string, confidence?: number): void {
    this.#partial = '';
    if (text.trim()) {
      this.#finals.push(text.trim());
      if (confidence !== undefined) this.#confidence = Math.min(this.#confidence ?? 1, confidence);
    }
    this.#tryCommit();
  }

  reset(): void {
    this.#cancelTimers();
    this.#finals = [];
    this.#confidence = undefined;
    this.#partial = '';
    this.#silenceElapsed = false;
  }

  #tryCommit(): void {
    if (this.#speaking || !this.#silenceElapsed) return;
    if (this.#finals.length > 0) {
      this.#commit(this.#finals.join(' '), this.#confidence);
      return;
    }
    if (!this.#partial) {
      // Silence after noise: nothing was said, but a late final may still turn up.
      this.#silenceElapsed = false;
      return;
    }
    this.#cancelFinalWait ??= this.#o.timers.timeout(() => {
      this.#cancelFinalWait = undefined;
      if (this.#partial) this.#commit(this.#partial);
    }, this.#o.finalWaitMs ?? 1500);
  }

  #commit(text: string, confidence?: number): void {
    this.reset();
    this.#o.onTurn(text, confidence);
  }

  #cancelTimers(): void {
    this.#cancelSilence?.();
    this.#cancelSilence = undefined;
    this.#cancelFinalWait?.();
    this.#cancelFinalWait = undefined;
  }
}

import type { TurnLatency } from '@switchboard/core';

type Mark = Exclude<keyof TurnLatency, 'turn'>;

/**
 * Per-turn timing marks, each in ms from call start: when the caller stopped, the final transcript
 * arrived, the model's first token, the synthesiser's first audio, and the first audio frame sent
 * to the carrier. A consumer derives latencies as differences (e.g. firstAudioSentMs − callerStoppedMs).
 */
export class LatencyMeter {
  readonly #turns: TurnLatency[] = [];
  readonly #onSent: ((turn: TurnLatency) => void) | undefined;
  #pendingStop: number | undefined;

  /** `onSent` gets each turn's marks once its first audio was sent (every earlier mark is set by then). */
  constructor(onSent?: (turn: TurnLatency) => void) {
    this.#onSent = onSent;
  }

  /** The caller stopped speaking; kept until the turn it ends begins. */
  callerStopped(atMs: number): void {
    this.#pendingStop = atMs;
  }

  callerResumed(): void {
    this.#pendingStop = undefined;
  }

  /** Starts a new agent turn; returns its number (1-based). */
  beginTurn(): number {
    const turn: TurnLatency = { turn: this.#turns.length + 1 };
    if (this.#pendingStop !== undefined) turn.callerStoppedMs = this.#pendingStop;
    this.#pendingStop = undefined;
    this.#turns.push(turn);
    return turn.turn;
  }

  /** Sets a mark on `turn` once; later marks of the same kind are ignored. */
  mark(turn: number, mark: Mark, atMs: number): void {
    const t = this.#turns[turn - 1];
    if (!t || t[mark] !== undefined) return;
    t[mark] = Math.round(atMs);
    if (mark === 'firstAudioSentMs') this.#onSent?.({ ...t });
  }

  get turns(): TurnLatency[] {
    return this.#turns.map((t) => ({ ...t }));
  }
}

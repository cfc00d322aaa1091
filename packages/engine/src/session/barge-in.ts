import type { AgentConfig } from '@switchboard/core';
import { isBackchannel, words } from '../text/words.js';
import type { TimerScope } from '../util/clock.js';

/** What an interrupted turn reports: the caller heard `heardText`; `droppedText` was never said. */
export interface Interruption {
  heardText: string;
  droppedText: string;
  heardMs: number;
}

/** The session side of barge-in: the one protocol every pipeline uses. */
export interface BargeInTarget {
  /** The agent is speaking (or about to) and could be interrupted now. */
  agentSpeaking(): boolean;
  /** Stop sound but keep it: the caller may only have coughed. */
  pause(): void;
  resume(): void;
  /**
   * Abort the turn (its AbortController cancels model and synthesis requests), drop queued audio
   * and text, send the carrier's clear, emit `agent.interrupted`, keep only the heard text.
   */
  interrupt(): void;
}

export interface BargeInOptions {
  turnTaking: AgentConfig['turnTaking'];
  timers: TimerScope;
  target: BargeInTarget;
}

/**
 * Decides when caller speech over the agent is a real interruption, and runs the protocol when it
 * is. The caller must speak `minInterruptionMs` and say `minInterruptionWords` words that are not
 * all backchannel ("yeah", "mm-hmm"). Until the words are known the agent pauses; if nothing
 * follows within `falseInterruptionResumeMs` after the caller stops, it resumes where it stopped.
 */
export class BargeIn {
  readonly #o: BargeInOptions;
  readonly #backchannel: ReadonlySet<string>;
  #candidate = false;
  #longEnough = false;
  #callerSpeaking = false;
  #text = '';
  #cancelMin: (() => void) | undefined;
  #cancelResume: (() => void) | undefined;

  constructor(opts: BargeInOptions) {
    this.#o = opts;
    this.#backchannel = new Set(opts.turnTaking.backchannelWords.map((w) => words(w).join(' ')));
  }

  callerSpeechStart(): void {
    this.#callerSpeaking = true;
    this.#cancelResume?.();
    this.#cancelResume = undefined;
    if (this.#candidate || !this.#o.turnTaking.allowInterruptions || !this.#o.target.agentSpeaking()) return;
    this.#candidate = true;
    this.#longEnough = false;
    this.#text = '';
    const min = this.#o.turnTaking.minInterruptionMs;
    if (min <= 0) {
      this.#reached();
      return;
    }
    this.#cancelMin = this.#o.timers.timeout(() => {
      this.#cancelMin = undefined;
      this.#reached();
    }, min);
  }

  callerSpeechEnd(): void {
    this.#callerSpeaking = false;
    if (!this.#candidate) return;
    if (!this.#longEnough) {
      // Shorter than the minimum: not an interruption at all.
      this.#settle();
      return;
    }
    if (this.#o.target.agentSpeaking()) this.#armResume();
  }

  /** Caller words recognised so far in this stretch of speech (partial or final). */
  callerText(text: string): void {
    if (!this.#candidate) return;
    this.#text = text;
    if (this.#longEnough) this.#decide();
  }

  /** The turn ended or was interrupted some other way: forget any pending candidate. */
  reset(): void {
    this.#settle();
  }

  #reached(): void {
    this.#longEnough = true;
    this.#decide();
  }

  #decide(): void {
    const tt = this.#o.turnTaking;
    const text = this.#text;
    if (text && isBackchannel(text, this.#backchannel)) {
      this.#o.target.resume();
      return;
    }
    const count = words(text).length;
    if (count >= tt.minInterruptionWords) {
      this.#settle();
      this.#o.target.interrupt();
      return;
    }
    this.#o.target.pause();
    if (!this.#callerSpeaking) this.#armResume();
  }

  #armResume(): void {
    this.#cancelResume?.();
    this.#cancelResume = this.#o.timers.timeout(() => {
      this.#cancelResume = undefined;
      this.#settle();
      this.#o.target.resume();
    }, this.#o.turnTaking.falseInterruptionResumeMs);
  }

  #settle(): void {
    this.#candidate = false;
    this.#longEnough = false;
    this.#text = '';
    this.#cancelMin?.();
    this.#cancelMin = undefined;
    this.#cancelResume?.();
    this.#cancelResume = undefined;
  }
}

/** A turn that can be cut short: it owns the AbortController its requests listen to. */
export interface InterruptibleTurn {
  readonly controller: AbortController;
  /** Everything the turn meant to say so far, heard or not. */
  fullText(): string;
  markInterrupted(interruption: Interruption): void;
}

export interface InterruptionSteps {
  /** Drops queued and held audio; returns what had been heard. */
  dropAudio(): { heardText: string; heardMs: number };
  /** The carrier's clear (leg.clear()). */
  clearCarrier(): void;
  /** Tells a speech-to-speech provider how much of its response was heard. */
  notifyProvider?: (heardMs: number) => void;
  report(interruption: Interruption): void;
}

/**
 * The barge-in protocol, in order: silence first (drop audio, clear the carrier) so the caller
 * hears nothing more, then cancel the turn's requests, then settle what was heard and dropped.
 */
export function interruptTurn(turn: InterruptibleTurn | undefined, steps: InterruptionSteps): Interruption {
  const heard = steps.dropAudio();
  steps.clearCarrier();
  turn?.controller.abort(new Error('barge-in'));
  const all = (turn?.fullText() ?? '').split(/\s+/).filter(Boolean);
  const heardCount = heard.heardText.split(/\s+/).filter(Boolean).length;
  const interruption: Interruption = {
    heardText: heard.heardText,
    droppedText: all.slice(heardCount).join(' '),
    heardMs: Math.round(heard.heardMs),
  };
  steps.notifyProvider?.(interruption.heardMs);
  turn?.markInterrupted(interruption);
  steps.report(interruption);
  return interruption;
}

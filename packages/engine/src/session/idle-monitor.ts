import type { AgentConfig } from '@switchboard/core';
import type { TimerScope } from '../util/clock.js';

export interface IdleMonitorOptions {
  idle: AgentConfig['idle'];
  timers: TimerScope;
  /** Say a re-prompt (the n-th, 1-based). */
  onReprompt: (message: string, n: number) => void;
  /** The caller stayed silent through every re-prompt: say `message` and end the call. */
  onGiveUp: (message: string) => void;
}

/**
 * Re-prompts a silent caller. Armed when the agent has finished speaking and waits for the
 * caller; any caller speech disarms it, and a real caller turn resets the count.
 */
export class IdleMonitor {
  readonly #o: IdleMonitorOptions;
  #count = 0;
  #cancel: (() => void) | undefined;

  constructor(opts: IdleMonitorOptions) {
    this.#o = opts;
  }

  arm(): void {
    this.disarm();
    this.#cancel = this.#o.timers.timeout(() => {
      this.#cancel = undefined;
      this.#fire();
    }, this.#o.idle.repromptAfterMs);
  }

  disarm(): void {
    this.#cancel?.();
    this.#cancel = undefined;
  }

  /** The caller took a turn: re-prompting starts over. */
  callerTurn(): void {
    this.disarm();
    this.#count = 0;
  }

  #fire(): void {
    const { maxReprompts, repromptMessages, hangupMessage } = this.#o.idle;
    if (this.#count >= maxReprompts || repromptMessages.length === 0) {
      this.#o.onGiveUp(hangupMessage);
      return;
    }
    const message = repromptMessages[this.#count % repromptMessages.length] as string;
    this.#count++;
    this.#o.onReprompt(message, this.#count);
  }
}

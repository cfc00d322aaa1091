import type { AgentConfig } from '@switchboard/core';
import type { TimerScope } from '../util/clock.js';

const PREFIX = 'Caller pressed keypad keys: ';

/** How keys the caller pressed are put to the model: one caller message, digits in order. */
export function keypadText(digits: string): string {
  return `${PREFIX}${digits}`;
}

/** The digits of a message written by `keypadText`, or undefined for anything else. */
export function keypadDigits(text: string): string | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const digits = text.slice(PREFIX.length).trim();
  return /^[0-9A-D*#]+$/.test(digits) ? digits : undefined;
}

/**
 * Gathers keypad digits into entries: an entry ends when no key follows within the inter-digit
 * timeout, or at once on the terminator key. "Press 1 for sales" and "enter your account number
 * followed by hash" both arrive as one entry.
 */
export class KeypadCollector {
  readonly #cfg: AgentConfig['keypad'];
  readonly #timers: TimerScope;
  readonly #onEntry: (digits: string) => void;
  #digits = '';
  #cancel: (() => void) | undefined;

  constructor(cfg: AgentConfig['keypad'], timers: TimerScope, onEntry: (digits: string) => void) {
    this.#cfg = cfg;
    this.#timers = timers;
    this.#onEntry = onEntry;
  }

  push(digit: string): void {
    this.#cancel?.();
    this.#digits += digit;
    if (this.#cfg.terminator !== 'none' && digit === this.#cfg.terminator) {
      this.flush();
      return;
    }
    this.#cancel = this.#timers.timeout(() => this.flush(), this.#cfg.interDigitTimeoutMs);
  }

  flush(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    const digits = this.#digits;
    this.#digits = '';
    if (digits) this.#onEntry(digits);
  }
}

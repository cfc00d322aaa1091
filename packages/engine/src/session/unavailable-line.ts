import type { Logger } from '@switchboard/core';
import type { AudioFormat } from '@switchboard/media';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { ProviderContext, TtsProvider } from '../providers/types.js';
import type { TimerScope } from '../util/clock.js';
import type { OutputPlayer } from './output-player.js';

/** The unavailable line is short; a synthesiser that hangs must not hold the call open. */
export const UNAVAILABLE_LINE_TIMEOUT_MS = 10_000;
/** With a keypad menu after the line: the whole menu, and the wait for each key. */
export const UNAVAILABLE_MENU_TIMEOUT_MS = 180_000;
const MENU_KEY_WAIT_MS = 15_000;

/** Keys pressed for the keypad menu: kept until asked for, or awaited up to the key wait. */
export class MenuKeys {
  readonly #queued: string[] = [];
  #waiter: ((digit: string | undefined) => void) | undefined;

  constructor(private readonly timers: TimerScope) {}

  push(digit: string): void {
    if (this.#waiter) this.#waiter(digit);
    else this.#queued.push(digit);
  }

  /** The next key: one pressed already, or the next within the wait; undefined on timeout or abort. */
  next(signal: AbortSignal): Promise<string | undefined> {
    const queued = this.#queued.shift();
    if (queued !== undefined || signal.aborted) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const done = (digit: string | undefined) => {
        cancel();
        signal.removeEventListener('abort', onAbort);
        this.#waiter = undefined;
        resolve(digit);
      };
      const onAbort = () => done(undefined);
      const cancel = this.timers.timeout(() => done(undefined), MENU_KEY_WAIT_MS);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiter = done;
    });
  }
}

export const UNAVAILABLE_LINE = 'Sorry, this line cannot take calls right now. Please try again later.';

/** At most this many FAQ entries are offered on the keypad (one digit each). */
const MENU_MAX_ITEMS = 9;
/** The menu offers this many answers before it says goodbye. */
const MENU_MAX_CHOICES = 3;

/** A keypad menu the caller can still use when the agent's own providers cannot start. */
export interface KeypadMenu {
  /** The agent's FAQ: digit N speaks the answer of entry N. */
  items: readonly { question: string; answer: string }[];
  /**
   * Resolves with the next key the caller presses, or undefined when none came in time or the
   * call ended (`signal`).
   */
  nextDigit(signal: AbortSignal): Promise<string | undefined>;
}

export interface UnavailableLineOptions {
  factory: ProviderFactory;
  /** A synthesiser that needs nothing outside the process (the composition root picks it). */
  ttsRef: string;
  ctx: ProviderContext;
  player: OutputPlayer;
  format: AudioFormat;
  signal: AbortSignal;
  logger: Logger;
  text?: string;
  /** Offered after the line, when the agent has FAQ entries. */
  menu?: KeypadMenu;
  /** Each line once the caller has heard it, with when it started and ended (call time, ms). */
  onSpoken?: (text: string, startMs: number, endMs: number) => void;
  /** The call's clock for `onSpoken`, in ms. */
  nowMs?: () => number;
}

/** "For opening hours, press 1. For …" from the FAQ's questions. */
export function menuPrompt(items: KeypadMenu['items']): string {
  const offers = items
    .slice(0, MENU_MAX_ITEMS)
    .map((item, i) => `For ${item.question.replace(/[\s?.!]+$/, '')}, press ${i + 1}.`);
  return `You can still use your keypad. ${offers.join(' ')}`;
}

/**
 * When a call's own providers cannot start, the caller still hears why the line is not answering,
 * in a locally synthesised voice, instead of dead air followed by a hang-up. Where the agent has
 * FAQ entries, a keypad menu then reads their answers (digit N for entry N) until the caller
 * hangs up, stops pressing keys, or has heard a few answers. Returns whether the line was spoken.
 */
export async function sayUnavailable(o: UnavailableLineOptions): Promise<boolean> {
  try {
    const tts = await o.factory.tts(o.ttsRef, o.ctx);
    try {
      await tts.prepare(o.signal);
      await say(o, tts, o.text ?? UNAVAILABLE_LINE);
      if (o.menu && o.menu.items.length > 0) await runMenu(o, tts, o.menu);
      return true;
    } finally {
      await tts.close().catch(() => {});
    }
  } catch (e) {
    if (!o.signal.aborted) {
      o.logger.warn(
        { err: e instanceof Error ? e.message : String(e) },
        'could not say the line is unavailable',
      );
    }
    return false;
  }
}

async function say(o: UnavailableLineOptions, tts: TtsProvider, text: string): Promise<void> {
  const startMs = o.nowMs?.() ?? 0;
  const seg = o.player.begin(text);
  for await (const frame of tts.synthesize({ text, format: o.format, signal: o.signal })) {
    o.player.push(seg, frame);
  }
  seg.complete = true;
  await o.player.waitIdle(o.signal);
  if (!o.signal.aborted) o.onSpoken?.(text, startMs, o.nowMs?.() ?? 0);
}

async function runMenu(o: UnavailableLineOptions, tts: TtsProvider, menu: KeypadMenu): Promise<void> {
  const items = menu.items.slice(0, MENU_MAX_ITEMS);
  await say(o, tts, menuPrompt(items));
  for (let answered = 0; answered < MENU_MAX_CHOICES && !o.signal.aborted; ) {
    const digit = await menu.nextDigit(o.signal);
    if (digit === undefined) break;
    const item = items[Number(digit) - 1];
    if (!item || !/^[1-9]$/.test(digit)) {
      await say(o, tts, `Please press a number from 1 to ${items.length}.`);
      continue;
    }
    answered++;
    await say(o, tts, item.answer);
    if (answered < MENU_MAX_CHOICES) await say(o, tts, 'Press another number, or hang up.');
  }
  if (!o.signal.aborted) await say(o, tts, 'Goodbye.');
}

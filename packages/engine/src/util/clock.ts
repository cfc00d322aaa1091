/**
 * Time as the engine sees it is the media package's clock (monotonic `now`, cancellable
 * `schedule`), so one fake clock drives the pacer and the session together in tests.
 */
import type { Clock } from '@switchboard/media';

export { type Clock, systemClock } from '@switchboard/media';

/** Resolves after `ms` on `clock`; rejects with the signal's reason when aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal?.reason);
    };
    const cancel = clock.schedule(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The timers one owner started. `clearAll()` is the owner's teardown; `active` lets a test assert
 * that a finished call left nothing behind.
 */
export class TimerScope {
  readonly clock: Clock;
  readonly #live = new Set<() => void>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  get active(): number {
    return this.#live.size;
  }

  /** Schedules `fn`; returns a function that cancels it (safe to call twice or after it ran). */
  timeout(fn: () => void, ms: number): () => void {
    const cancel = this.clock.schedule(() => {
      this.#live.delete(cancel);
      fn();
    }, ms);
    this.#live.add(cancel);
    return () => {
      if (this.#live.delete(cancel)) cancel();
    };
  }

  clearAll(): void {
    for (const cancel of this.#live) cancel();
    this.#live.clear();
  }
}

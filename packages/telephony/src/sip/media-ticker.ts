/**
 * One playout clock per packet time, shared by every call of a server: a single timer wakes all
 * jitter buffers at once instead of one timer per call, which is what keeps hundreds of calls on
 * one core. Deadlines are anchor + n·period, so timer error never accumulates. The timer runs
 * only while someone is subscribed, so an idle server holds no timer.
 */
import type { Clock } from '@switchboard/media';

const SPIN_MS = 1;

export class MediaTicker {
  private readonly subscribers = new Set<() => void>();
  private cancel: (() => void) | undefined;
  private anchor = 0;
  private n = 0;
  private due = 0;

  constructor(
    private readonly clock: Clock,
    readonly periodMs: number,
  ) {}

  get size(): number {
    return this.subscribers.size;
  }

  /** Calls `fn` once per period until the returned function is called. */
  subscribe(fn: () => void): () => void {
    this.subscribers.add(fn);
    if (!this.cancel) {
      this.anchor = this.clock.now();
      this.n = 0;
      this.arm();
    }
    return () => {
      this.subscribers.delete(fn);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private arm(): void {
    this.n++;
    let due = this.anchor + this.n * this.periodMs;
    const now = this.clock.now();
    // After a stall, skip missed ticks instead of bursting: playout follows the sender anyway.
    if (now - due > this.periodMs) {
      this.anchor = now;
      this.n = 0;
      due = now;
    }
    this.due = due;
    this.wait(now);
  }

  /** Timers fire 0-2 ms late: wake `SPIN_MS` early and finish the wait on next-turn callbacks. */
  private wait(now: number): void {
    const delay = this.due - now;
    this.cancel = this.clock.schedule(this.tick, delay > SPIN_MS ? delay - SPIN_MS : 0);
  }

  private readonly tick = (): void => {
    this.cancel = undefined;
    const now = this.clock.now();
    if (now < this.due - 0.1) {
      this.wait(now);
      return;
    }
    for (const fn of this.subscribers) {
      try {
        fn();
      } catch {
        // Subscribers own their errors; one faulty call must not stall the others' playout.
      }
    }
    if (this.subscribers.size > 0) this.arm();
  };
}

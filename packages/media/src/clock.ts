/**
 * Time source for real-time logic, injectable so timing code is tested with a fake clock instead
 * of wall-clock sleeps. `now()` is monotonic milliseconds (not epoch time).
 */
export interface Clock {
  now(): number;
  /** Runs `fn` after `delayMs`; a delay ≤ 0 means "next event-loop turn". Returns a canceller. */
  schedule(fn: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  schedule(fn, delayMs) {
    if (delayMs <= 0) {
      // setImmediate runs after I/O in the same loop turn, unlike setTimeout(0) (≥1 ms in Node).
      const h = setImmediate(fn);
      return () => clearImmediate(h);
    }
    const h = setTimeout(fn, delayMs);
    return () => clearTimeout(h);
  },
};

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
}

/**
 * A manual clock for tests. Time moves only through `advance`/`tick`; timers run in deadline
 * order (then creation order), each seeing `now()` equal to its due time plus `lateness`.
 */
export class FakeClock implements Clock {
  private t: number;
  private timers: FakeTimer[] = [];
  private nextId = 1;
  /**
   * Time one event-loop turn takes: a "next turn" timer (delay ≤ 0) fires this much later, so code
   * that polls on setImmediate until a deadline makes progress instead of looping forever.
   */
  turnMs = 0.25;
  /** Extra delay applied to every timer when it fires, to simulate a busy event loop. */
  lateness: () => number = () => 0;

  constructor(start = 1000) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  schedule(fn: () => void, delayMs: number): () => void {
    const timer: FakeTimer = { id: this.nextId++, at: this.t + (delayMs > 0 ? delayMs : this.turnMs), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Fires the earliest timer (advancing time to it); returns false when none is waiting. */
  tick(): boolean {
    if (this.timers.length === 0) return false;
    let best = this.timers[0]!;
    for (const x of this.timers) if (x.at < best.at || (x.at === best.at && x.id < best.id)) best = x;
    this.timers = this.timers.filter((x) => x !== best);
    this.t = Math.max(this.t, best.at + Math.max(0, this.lateness()));
    best.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let best: FakeTimer | undefined;
      for (const x of this.timers)
        if (x.at <= end && (!best || x.at < best.at || (x.at === best.at && x.id < best.id))) best = x;
      if (!best) break;
      this.timers = this.timers.filter((x) => x !== best);
      this.t = Math.max(this.t, best.at);
      best.fn();
    }
    this.t = Math.max(this.t, end);
  }
}

/**
 * One timer for many deadlines on one clock. Hundreds of real-time streams (a pacer per call) each
 * keeping their own 20 ms timer cost the event loop a timer object, a timer-list insert and a
 * callback turn per frame; this keeps the deadlines in a heap and runs everything due in one
 * timer callback, so at any load the process holds one pending timer and wakes at most once per
 * timer tick (1 ms). Deadlines are absolute clock times, so the shared wake-up adds no drift.
 */
import type { Clock } from './clock.js';

function rethrowLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

const IDLE = -1;
const FIRING = -2;

/** A deadline owned by one stream; reuse it for every wait of that stream. */
export class Deadline {
  /** Clock time at which `fire` runs (never earlier). */
  due = 0;
  /** @internal Heap slot, or IDLE / FIRING. */
  slot = IDLE;
  /** @internal Insertion order, so equal deadlines run in the order they were set. */
  seq = 0;

  /**
   * @param fire runs once each time the deadline passes.
   * @param spinMs wake this long before the deadline and finish on next-turn callbacks; trades
   *   CPU for punctuality (timers fire 0–2 ms late).
   */
  constructor(
    readonly fire: () => void,
    readonly spinMs = 0,
  ) {}

  get scheduled(): boolean {
    return this.slot !== IDLE;
  }
}

export class DeadlineScheduler {
  private static readonly shared = new WeakMap<Clock, DeadlineScheduler>();

  /** The scheduler every user of `clock` shares (one per clock, so test clocks stay separate). */
  static for(clock: Clock): DeadlineScheduler {
    let s = DeadlineScheduler.shared.get(clock);
    if (!s) {
      s = new DeadlineScheduler(clock);
      DeadlineScheduler.shared.set(clock, s);
    }
    return s;
  }

  private readonly heap: Deadline[] = [];
  private readonly batch: Deadline[] = [];
  private cancelTimer: (() => void) | undefined;
  /** Clock time the pending timer was asked to wake at. */
  private wakeAt = Number.POSITIVE_INFINITY;
  private running = false;
  private seq = 0;

  /**
   * @param onError receives what a callback threw (callbacks should catch their own errors;
   *   this is the backstop). By default it is rethrown asynchronously, as an unhandled error.
   */
  constructor(
    readonly clock: Clock,
    private readonly onError: (err: unknown) => void = rethrowLater,
  ) {}

  /** Deadlines waiting. */
  get size(): number {
    return this.heap.length;
  }

  /** Sets (or moves) `d` to fire at clock time `due`. */
  schedule(d: Deadline, due: number): void {
    if (d.slot >= 0) this.remove(d.slot);
    d.due = due;
    d.seq = this.seq++;
    d.slot = this.heap.length;
    this.heap.push(d);
    this.up(d.slot);
    // Inside `run` the timer is re-armed once at the end, for whatever is earliest then.
    if (!this.running && this.heap[0] === d && this.wakeOf(d) < this.wakeAt) this.arm();
  }

  /** Stops `d` from firing; a no-op when it is not scheduled. */
  cancel(d: Deadline): void {
    if (d.slot >= 0) this.remove(d.slot);
    d.slot = IDLE;
    // Nothing left to wait for: an idle process holds no timer (an early wake is harmless otherwise).
    if (this.heap.length === 0 && !this.running) this.disarm();
  }

  private wakeOf(d: Deadline): number {
    return d.due - d.spinMs;
  }

  private arm(): void {
    this.disarm();
    const top = this.heap[0];
    if (!top) return;
    const now = this.clock.now();
    const delay = top.due - now;
    const wait = delay > top.spinMs ? delay - top.spinMs : 0;
    this.wakeAt = now + wait;
    this.cancelTimer = this.clock.schedule(this.run, wait);
  }

  private disarm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }

  private readonly run = (): void => {
    this.cancelTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    this.running = true;
    const now = this.clock.now();
    // Take everything due first: a deadline set while this batch runs waits for the next turn
    // even when it is already due, so a stream that is owed a frame never gets two in one turn.
    const batch = this.batch;
    for (let top = this.heap[0]; top && top.due <= now; top = this.heap[0]) {
      this.remove(0);
      top.slot = FIRING;
      batch.push(top);
    }
    for (const d of batch) {
      // Cancelled or moved by an earlier callback of this batch.
      if (d.slot !== FIRING) continue;
      d.slot = IDLE;
      try {
        d.fire();
      } catch (err) {
        // One stream's bug must not stall every other stream's deadline.
        this.onError(err);
      }
    }
    batch.length = 0;
    this.running = false;
    this.arm();
  };

  // ---- binary heap on (due, seq) ----

  private before(a: Deadline, b: Deadline): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private remove(i: number): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (i < heap.length) {
      heap[i] = last;
      last.slot = i;
      this.down(i);
      this.up(last.slot);
    }
  }

  private up(i: number): void {
    const heap = this.heap;
    const d = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!this.before(d, parent)) break;
      heap[i] = parent;
      parent.slot = i;
      i = p;
    }
    heap[i] = d;
    d.slot = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const d = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.before(heap[r]!, heap[l]!) ? r : l;
      const child = heap[c]!;
      if (!this.before(child, d)) break;
      heap[c] = d;
      heap[i] = child;
      child.slot = i;
      i = c;
    }
    heap[i] = d;
    d.slot = i;
  }
}

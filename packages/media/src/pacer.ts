import { type Clock, systemClock } from './clock.js';
import { Deadline, DeadlineScheduler } from './deadlines.js';
import { type AudioFormat, type AudioFrame, frameDurationMs, sameFormat } from './format.js';
import { Reframer } from './reframer.js';

export interface PacerOptions {
  format: AudioFormat;
  /** Length of each frame handed out. */
  frameMs?: number;
  /** Receives one frame per deadline. */
  onFrame(frame: AudioFrame): void;
  /** Called when queued audio has finished playing (the deadline after the last frame passed). */
  onIdle?(): void;
  /** Receives errors thrown by the callbacks; without it they are rethrown asynchronously. */
  onError?(err: unknown): void;
  clock?: Clock;
  /**
   * Wake this long before a deadline and finish the wait on setImmediate. Node timers fire 0–2 ms
   * late; spinning trades CPU for punctuality (see DEFAULT_SPIN_MS for the measured trade-off).
   */
  spinMs?: number;
  /**
   * How much a stalled event loop may still make up: frames owed within this bound are sent at
   * once, in order, so the schedule (and with it the caller's latency) never shifts; frames later
   * than this are dropped, since a caller no longer hears them as speech, only as delay.
   */
  maxCatchUpMs?: number;
}

export interface PacerStats {
  frames: number;
  /** Runs that ended because the queue ran dry. */
  underruns: number;
  /** Times the event loop was more than one frame late (a stall). */
  stalls: number;
  /** Frames sent late, at once, to make up for a stall. */
  caughtUp: number;
  /** Frames dropped because a stall made them later than `maxCatchUpMs`. */
  dropped: number;
  /** Worst observed lateness of a frame against its deadline. */
  maxLatenessMs: number;
  /** Lateness of the most recent frame against its deadline (read it inside onFrame). */
  lastLatenessMs: number;
}

/**
 * Real-time pacer: hands out one `frameMs` frame per deadline, for sinks that do not buffer
 * (RTP, AudioSocket). Deadlines are computed as anchor + n·frameMs from a monotonic clock, so
 * timer error never accumulates. The schedule never shifts: when the loop was late (GC, a busy
 * turn), the frames owed are made up at once, up to `maxCatchUpMs`; older ones are dropped. A
 * shifted schedule would turn every stall into delay the caller hears for the rest of the call
 * (a relayed stream never runs dry to reset it). When the queue runs dry the pacer idles (it
 * does not invent frames) and re-anchors on the next push. Every pacer on a clock shares one timer (DeadlineScheduler): one timer per call
 * per frame is what limited how many calls one event loop could pace.
 */
export class Pacer {
  readonly format: AudioFormat;
  readonly frameMs: number;
  readonly stats: PacerStats = {
    frames: 0,
    underruns: 0,
    stalls: 0,
    caughtUp: 0,
    dropped: 0,
    maxLatenessMs: 0,
    lastLatenessMs: 0,
  };
  private readonly clock: Clock;
  private readonly scheduler: DeadlineScheduler;
  private readonly deadline: Deadline;
  private readonly reframer: Reframer;
  private readonly opts: PacerOptions;
  /** Most frames one turn sends: the one due plus those `maxCatchUpMs` covers. */
  private readonly maxBurst: number;
  private queue: AudioFrame[] = [];
  private head = 0;
  private anchor: number | undefined;
  private n = 0;
  private dequeuedMs = 0;
  private played = 0;
  private closed = false;

  constructor(opts: PacerOptions) {
    this.opts = opts;
    this.format = opts.format;
    this.frameMs = opts.frameMs ?? 20;
    this.clock = opts.clock ?? systemClock;
    this.scheduler = DeadlineScheduler.for(this.clock);
    this.deadline = new Deadline(() => this.tick(), Math.max(0, opts.spinMs ?? DEFAULT_SPIN_MS));
    this.reframer = new Reframer(this.format, this.frameMs);
    this.maxBurst = 1 + Math.floor((opts.maxCatchUpMs ?? DEFAULT_MAX_CATCH_UP_MS) / this.frameMs);
  }

  /**
   * Queues audio of the pacer's format, of any length. Whole frames are queued as views of the
   * pushed bytes, not copies (a relay pushes 50 frames a second per call), so pushed audio must not
   * be changed afterwards; only a partial frame is copied, to be completed by the next push.
   */
  push(frame: AudioFrame): void {
    if (this.closed) return;
    if (!sameFormat(frame.format, this.format)) {
      throw new TypeError(
        `pacer expects ${this.format.encoding}/${this.format.sampleRate}, got ${frame.format.encoding}/${frame.format.sampleRate}`,
      );
    }
    const data = frame.data;
    const size = this.reframer.frameBytes;
    if (this.reframer.pendingBytes === 0 && data.length % size === 0) {
      if (data.length === size) this.queue.push(frame);
      else
        for (let at = 0; at < data.length; at += size)
          this.queue.push({ format: this.format, data: data.subarray(at, at + size) });
    } else {
      for (const f of this.reframer.push(data)) this.queue.push(f);
    }
    if (this.anchor !== undefined || this.deadline.scheduled) return;
    const now = this.clock.now();
    // A lone partial frame waits one frame time for the rest before it is played padded.
    this.anchor = this.queue.length > this.head ? now : now + this.frameMs;
    this.n = 0;
    this.scheduler.schedule(this.deadline, this.anchor);
  }

  /** Drops all queued audio and stops; returns the dropped milliseconds. */
  clear(): number {
    const dropped = (this.queue.length - this.head) * this.frameMs + this.reframer.pendingMs;
    this.reframer.reset();
    this.queue = [];
    this.head = 0;
    this.stop();
    return dropped;
  }

  /** Milliseconds queued and not yet handed out. */
  get queuedMs(): number {
    return (this.queue.length - this.head) * this.frameMs + this.reframer.pendingMs;
  }

  /** Milliseconds of real audio handed out since creation or the last `resetPlayedMs`. */
  get playedMs(): number {
    return this.played;
  }

  /** Restarts the `playedMs` count; returns the previous value. */
  resetPlayedMs(): number {
    const p = this.played;
    this.played = 0;
    return p;
  }

  close(): void {
    this.clear();
    this.closed = true;
  }

  private stop(): void {
    this.scheduler.cancel(this.deadline);
    this.anchor = undefined;
  }

  private tick(): void {
    if (this.closed || this.anchor === undefined) return;
    const now = this.clock.now();
    const due = this.anchor + this.n * this.frameMs;
    if (now < due) {
      this.scheduler.schedule(this.deadline, due);
      return;
    }
    // Every frame whose deadline has passed: normally one, more after a stall.
    let owed = Math.floor((now - due) / this.frameMs) + 1;
    if (owed > 1) this.stats.stalls++;
    if (owed > this.maxBurst) {
      // Too late to be worth hearing: drop them and keep the schedule (latency stays bounded).
      const skip = owed - this.maxBurst;
      for (let i = 0; i < skip && this.dequeue(); i++) {
        this.n++;
        this.stats.dropped++;
      }
      owed = this.maxBurst;
    }
    for (let i = 0; i < owed; i++) {
      const next = this.dequeue();
      if (!next) {
        this.anchor = undefined;
        this.stats.underruns++;
        try {
          this.opts.onIdle?.();
        } catch (err) {
          this.fail(err);
        }
        return;
      }
      const late = now - (this.anchor + this.n * this.frameMs);
      this.stats.lastLatenessMs = late;
      this.stats.maxLatenessMs = Math.max(this.stats.maxLatenessMs, late);
      this.stats.frames++;
      if (i > 0) this.stats.caughtUp++;
      this.n++;
      this.played += this.dequeuedMs;
      try {
        this.opts.onFrame(next);
      } catch (err) {
        this.fail(err);
      }
      if (this.closed || this.anchor === undefined) return;
    }
    if (!this.deadline.scheduled) {
      this.scheduler.schedule(this.deadline, this.anchor + this.n * this.frameMs);
    }
  }

  /** The next frame; `dequeuedMs` says how much of it is real audio (a padded partial is partly silence). */
  private dequeue(): AudioFrame | undefined {
    if (this.head < this.queue.length) {
      const frame = this.queue[this.head++]!;
      if (this.head > 64 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      this.dequeuedMs = frameDurationMs(frame);
      return frame;
    }
    // Out of whole frames: a held partial is played now, padded, since waiting only widens the gap.
    this.dequeuedMs = this.reframer.pendingMs;
    return this.reframer.flush();
  }

  private fail(err: unknown): void {
    if (this.opts.onError) this.opts.onError(err);
    else
      queueMicrotask(() => {
        throw err;
      });
  }
}

/**
 * No spinning by default. 200 pacers with random phases: without spinning frames go out ~0.6 ms
 * after their deadline (p50) for ~6% of one core; a 1 ms spin brings that to ~0 but costs ~30%,
 * because with many calls some deadline is always less than 1 ms away and the event loop never
 * sleeps. In the Twilio relay at 50 calls the spin took CPU from 13% to 52% and did not lower p99
 * pacing jitter. Sub-millisecond punctuality buys nothing against a carrier's 20 ms frames.
 */
export const DEFAULT_SPIN_MS = 0;

/**
 * A stall up to this long is made up by sending the owed frames at once; carriers' and phones'
 * jitter buffers absorb a burst this size. Past it, the late frames are dropped.
 */
export const DEFAULT_MAX_CATCH_UP_MS = 200;

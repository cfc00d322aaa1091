import type { Logger } from '@switchboard/core';
import { type AudioFormat, type AudioFrame, bytesForMs, frameDurationMs, Pacer } from '@switchboard/media';
import { leadingWords } from '../text/words.js';
import type { Clock } from '../util/clock.js';

/** One piece of agent speech (a sentence, a filler) and the audio synthesised for it so far. */
export interface Segment {
  text: string;
  /** Position of its first audio on the played timeline (ms); unset until audio arrives. */
  start: number | undefined;
  synthMs: number;
  complete: boolean;
  /**
   * Its audio not yet played, kept for `resume` after a pause. Played frames are released as
   * playback passes them: a response that streams for an hour must not hold an hour of audio.
   */
  readonly frames: AudioFrame[];
  /** Position of `frames[0]` on the played timeline (ms). */
  framesStart: number;
}

/** Rough speaking rate, for a segment whose synthesis was cut short. */
const MS_PER_WORD_ESTIMATE = 350;

export interface OutputPlayerOptions {
  format: AudioFormat;
  clock: Clock;
  logger: Logger;
  /** Each paced frame, when the carrier gets it. */
  onFrame: (frame: AudioFrame) => void;
}

/**
 * The only way agent audio reaches the caller. It paces audio to real time, so the carrier holds
 * almost nothing and the session knows what was heard: `playedMs` against each segment's position
 * on the timeline gives the words the caller heard. It can pause (keeping what was not played) and
 * resume, or drop everything for a barge-in.
 */
export class OutputPlayer {
  readonly #pacer: Pacer;
  #segments: Segment[] = [];
  /** Where the next pushed audio lands on the played timeline. */
  #endMs = 0;
  #paused = false;
  #playing = false;
  #idleWaiters: (() => void)[] = [];

  constructor(opts: OutputPlayerOptions) {
    this.#pacer = new Pacer({
      format: opts.format,
      clock: opts.clock,
      onFrame: opts.onFrame,
      onIdle: () => {
        this.#playing = false;
        this.#wake();
      },
      onError: (err) =>
        opts.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'play failed'),
    });
  }

  get playedMs(): number {
    return this.#pacer.playedMs;
  }

  /** Audio is playing, queued, or held by a pause. */
  get speaking(): boolean {
    return this.#playing || this.#paused;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Starts a segment; its audio follows everything pushed before. */
  begin(text: string): Segment {
    const seg: Segment = { text, start: undefined, synthMs: 0, complete: false, frames: [], framesStart: 0 };
    this.#segments.push(seg);
    return seg;
  }

  push(seg: Segment, frame: AudioFrame): void {
    const ms = frameDurationMs(frame);
    if (ms <= 0) return;
    if (!this.#paused) {
      if (this.#endMs < this.#pacer.playedMs) this.#endMs = this.#pacer.playedMs;
      this.#release();
    }
    if (seg.start === undefined) {
      seg.start = this.#endMs;
      seg.framesStart = this.#endMs;
    }
    seg.frames.push(frame);
    seg.synthMs += ms;
    this.#endMs += ms;
    if (!this.#paused) this.#send(frame);
  }

  /** Stops sound at once but keeps what was not heard, for `resume` (a possible false interruption). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#pacer.clear();
    this.#playing = false;
  }

  /** Plays what `pause` held back, from the exact point it stopped. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const cursor = this.#pacer.playedMs;
    for (const seg of this.#segments) {
      if (seg.start === undefined) continue;
      let pos = seg.framesStart;
      for (const frame of seg.frames) {
        const ms = frameDurationMs(frame);
        if (pos + ms > cursor) {
          const skip = pos < cursor ? bytesForMs(frame.format, cursor - pos) : 0;
          this.#send(skip > 0 ? { format: frame.format, data: frame.data.subarray(skip) } : frame);
        }
        pos += ms;
      }
    }
  }

  /** What the caller heard of the current utterance, estimated word by word per segment. */
  heard(): { heardText: string; heardMs: number } {
    const played = this.#pacer.playedMs;
    const parts: string[] = [];
    let heardMs = 0;
    for (const seg of this.#segments) {
      if (seg.start === undefined) break;
      const h = Math.max(0, Math.min(seg.synthMs, played - seg.start));
      heardMs += h;
      const wordCount = seg.text.split(/\s+/).filter(Boolean).length;
      const total = seg.complete ? seg.synthMs : Math.max(seg.synthMs, wordCount * MS_PER_WORD_ESTIMATE);
      const text = total > 0 ? leadingWords(seg.text, h / total) : '';
      if (text) parts.push(text);
      if (h < seg.synthMs) break;
    }
    return { heardText: parts.join(' '), heardMs };
  }

  /** Barge-in: drops all queued and held audio; returns what was heard before it. */
  interrupt(): { heardText: string; heardMs: number } {
    const heard = this.heard();
    this.#pacer.clear();
    this.#paused = false;
    this.#playing = false;
    this.#endMs = this.#pacer.playedMs;
    this.#segments = [];
    this.#wake();
    return heard;
  }

  /** Starts a new utterance: forgets the previous one's segments. */
  resetUtterance(): void {
    this.#segments = [];
  }

  /** Resolves when everything pushed has been played (or dropped), or `signal` aborts. */
  waitIdle(signal?: AbortSignal): Promise<void> {
    if (!this.speaking || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#idleWaiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  close(): void {
    this.#pacer.close();
    this.#segments = [];
    this.#paused = false;
    this.#playing = false;
    this.#wake();
  }

  /** Drops frames the caller has heard in full; what is left is what `resume` may still play. */
  #release(): void {
    const played = this.#pacer.playedMs;
    for (const seg of this.#segments) {
      if (seg.start === undefined) return;
      let n = 0;
      let pos = seg.framesStart;
      for (const frame of seg.frames) {
        const ms = frameDurationMs(frame);
        if (pos + ms > played) break;
        pos += ms;
        n++;
      }
      if (n > 0) {
        seg.frames.splice(0, n);
        seg.framesStart = pos;
      }
      if (seg.frames.length > 0) return;
    }
  }

  #send(frame: AudioFrame): void {
    this.#playing = true;
    this.#pacer.push(frame);
  }

  #wake(): void {
    if (this.speaking) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * What the carrier has actually played. Carriers that buffer our audio (Twilio, Plivo, Telnyx)
 * echo a named mark once everything queued before it has played, and echo pending marks at once
 * when a clear flushes the buffer. So each mark we send records how much audio preceded it; an
 * echo before a clear means "played", an echo of a mark that was pending at the clear means
 * "flushed" and adds nothing.
 */
const MAX_FLUSHED = 256;

export class MarkTracker {
  readonly #prefix: string;
  #seq = 0;
  /** Marks sent and not yet echoed, in send order, with the audio sent since the previous mark. */
  #pending: { name: string; ms: number }[] = [];
  /** Marks pending at a clear: their echoes report a flush, not playback. */
  readonly #flushed = new Set<string>();
  #sentMs = 0;
  #unmarkedMs = 0;
  #playedMs = 0;

  constructor(prefix = 'sb') {
    this.#prefix = prefix;
  }

  /** Audio sent to the carrier since the last mark. */
  get unmarkedMs(): number {
    return this.#unmarkedMs;
  }

  /** Audio the carrier confirmed as played. */
  get playedMs(): number {
    return this.#playedMs;
  }

  /** Audio sent since the start (played, buffered or flushed). */
  get sentMs(): number {
    return this.#sentMs;
  }

  /** Marks sent and not echoed yet (audio possibly still buffered at the carrier). */
  get pendingMarks(): number {
    return this.#pending.length;
  }

  addAudio(ms: number): void {
    this.#sentMs += ms;
    this.#unmarkedMs += ms;
  }

  /** Names the next mark and charges it with the audio sent since the previous one. */
  next(): string {
    const name = `${this.#prefix}-${++this.#seq}`;
    this.#pending.push({ name, ms: this.#unmarkedMs });
    this.#unmarkedMs = 0;
    return name;
  }

  /**
   * An echo from the carrier. Returns 'played', 'flushed', or 'unknown' for names we never sent
   * (another application's marks, or a replay).
   */
  echo(name: string): 'played' | 'flushed' | 'unknown' {
    if (this.#flushed.delete(name)) return 'flushed';
    const i = this.#pending.findIndex((m) => m.name === name);
    if (i < 0) return 'unknown';
    // Echoes come in send order; anything older still pending was played too.
    for (const m of this.#pending.splice(0, i + 1)) this.#playedMs += m.ms;
    return 'played';
  }

  /** The carrier buffer is being cleared: pending marks will come back as flushes. */
  clear(): void {
    for (const m of this.#pending) this.#flushed.add(m.name);
    // A carrier that never echoes flushed marks must not grow this set for the whole call.
    for (const name of this.#flushed) {
      if (this.#flushed.size <= MAX_FLUSHED) break;
      this.#flushed.delete(name);
    }
    this.#pending = [];
    this.#unmarkedMs = 0;
  }
}

/**
 * A single-consumer queue exposed as an async iterable: RTP playout pushes, the leg's consumer
 * pulls. Bounded so a consumer that stopped reading cannot grow memory for the rest of the call:
 * the oldest frames are dropped first (live audio is worthless once late).
 */
export class FrameQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #closed = false;
  dropped = 0;

  constructor(private readonly maxItems = 500) {}

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    if (this.#items.length > this.maxItems) {
      this.#items.shift();
      this.dropped++;
    }
  }

  /** Ends iteration once queued items are consumed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        // A consumer that breaks out stops delivery; later pushes are dropped.
        this.#items.length = 0;
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

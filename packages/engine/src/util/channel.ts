/**
 * An unbounded single-consumer queue exposed as an async iterable: the joint between two stages.
 * `close()` ends iteration after queued items drain; `fail()` makes the consumer throw; `return()`
 * from the consumer (a `break`) discards what is queued.
 */
export class Channel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #failWaiter: ((e: unknown) => void) | undefined;
  #closed = false;
  #error: unknown;
  #failed = false;

  get closed(): boolean {
    return this.#closed;
  }

  get size(): number {
    return this.#items.length;
  }

  push(item: T): boolean {
    if (this.#closed) return false;
    const w = this.#waiter;
    if (w) {
      this.#clearWaiter();
      w({ value: item, done: false });
    } else this.#items.push(item);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#waiter;
    if (w) {
      this.#clearWaiter();
      w({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failed = true;
    this.#error = error;
    const f = this.#failWaiter;
    if (f) {
      this.#clearWaiter();
      f(error);
    }
  }

  /**
   * Drops the oldest queued items until at most `maxWeight` remains (by `weigh`, e.g. audio
   * milliseconds); returns how many were dropped. Never touches a consumer already waiting.
   */
  keepNewest(maxWeight: number, weigh: (item: T) => number): number {
    let kept = 0;
    let i = this.#items.length;
    while (i > 0) {
      const w = weigh(this.#items[i - 1] as T);
      if (kept + w > maxWeight) break;
      kept += w;
      i--;
    }
    if (i > 0) this.#items.splice(0, i);
    return i;
  }

  /** Drops queued items without closing. */
  drain(): T[] {
    return this.#items.splice(0);
  }

  #clearWaiter(): void {
    this.#waiter = undefined;
    this.#failWaiter = undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift() as T, done: false });
    if (this.#failed) return Promise.reject(this.#error);
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = resolve;
      this.#failWaiter = reject;
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => this.next(),
      return: async () => {
        this.#items.length = 0;
        this.close();
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * A single-consumer queue read as an async iterable: how a child process's output becomes an
 * adapter's event stream. `close()` ends iteration once queued items drain; `fail()` makes the
 * consumer throw after them; a consumer's `break` discards what is queued.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  #closed = false;
  #error: { value: unknown } | undefined;

  get closed(): boolean {
    return this.#closed;
  }

  push(item: T): boolean {
    if (this.#closed) return false;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve({ value: item, done: false });
    } else this.#items.push(item);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#settle();
  }

  fail(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = { value: error };
    this.#settle();
  }

  #settle(): void {
    const w = this.#waiter;
    if (!w || this.#items.length > 0) return;
    this.#waiter = undefined;
    if (this.#error) w.reject(this.#error.value);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift() as T, done: false });
    if (this.#error) return Promise.reject(this.#error.value);
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
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

import { type Clock, sleep } from '../util/clock.js';
import { ProviderError } from './provider-error.js';
import { backoffMs, type RetryPolicy, withTimeout } from './retry.js';

export interface GuardOptions {
  provider: string;
  clock: Clock;
  retry: RetryPolicy;
  firstResultTimeoutMs: number;
  signal: AbortSignal;
  onFirst?: (ms: number) => void;
  onRetry?: (ms: number) => void;
}

/**
 * Runs a streaming request with the base's rules: a time limit on the first item, retries while
 * nothing has been delivered (after that a retry would repeat what the caller already got), errors
 * classified as ProviderError. Aborting `signal` cancels the request and ends the stream quietly.
 */
export async function* guardedStream<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  opts: GuardOptions,
): AsyncGenerator<T, void, undefined> {
  const started = opts.clock.now();
  for (let attempt = 0; ; attempt++) {
    if (opts.signal.aborted) return;
    const ctrl = new AbortController();
    const onAbort = () => ctrl.abort(opts.signal.reason);
    opts.signal.addEventListener('abort', onAbort, { once: true });
    const it = open(ctrl.signal)[Symbol.asyncIterator]();
    let finished = false;
    try {
      let first: IteratorResult<T>;
      try {
        first = await withTimeout(
          it.next(),
          opts.firstResultTimeoutMs,
          opts.clock,
          `${opts.provider} response`,
          ctrl,
        );
      } catch (e) {
        if (opts.signal.aborted) return;
        const err = ProviderError.from(e, opts.provider);
        if (!err.retryable || attempt >= opts.retry.maxRetries) throw err;
        opts.onRetry?.(opts.clock.now() - started);
        try {
          await sleep(opts.clock, backoffMs(opts.retry, attempt), opts.signal);
        } catch {
          return;
        }
        continue;
      }
      opts.onFirst?.(opts.clock.now() - started);
      if (first.done) {
        finished = true;
        return;
      }
      yield first.value;
      for (;;) {
        let r: IteratorResult<T>;
        try {
          r = await it.next();
        } catch (e) {
          if (opts.signal.aborted) return;
          throw ProviderError.from(e, opts.provider);
        }
        if (r.done) {
          finished = true;
          return;
        }
        yield r.value;
      }
    } finally {
      opts.signal.removeEventListener('abort', onAbort);
      if (!finished) {
        ctrl.abort(new Error('stream closed'));
        // Not awaited: an adapter stuck in I/O must not hold up the caller's cancellation.
        it.return?.()?.catch(() => {});
      }
    }
  }
}

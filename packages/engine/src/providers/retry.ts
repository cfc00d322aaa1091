import { type Clock, sleep } from '../util/clock.js';
import { ProviderError } from './provider-error.js';

export interface RetryPolicy {
  /** Attempts after the first. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 2, baseDelayMs: 200, maxDelayMs: 2000 };

/** Exponential backoff with full jitter; `random` is injectable so tests are exact. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export interface RetryOptions {
  policy: RetryPolicy;
  clock: Clock;
  signal?: AbortSignal;
  provider?: string;
  onRetry?: (error: ProviderError, attempt: number) => void;
}

/** Runs `fn` until it succeeds, fails with a non-retryable error, or attempts run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const err = ProviderError.from(e, opts.provider);
      if (!err.retryable || attempt >= opts.policy.maxRetries) throw err;
      opts.onRetry?.(err, attempt + 1);
      await sleep(opts.clock, backoffMs(opts.policy, attempt), opts.signal);
    }
  }
}

/**
 * Races `promise` against a timer; on timeout aborts `controller` (so the attempt stops its I/O)
 * and rejects with a retryable timeout error.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  clock: Clock,
  what: string,
  controller?: AbortController,
): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return promise;
  let cancel: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    cancel = clock.schedule(() => {
      const err = new ProviderError('timeout', `${what} timed out after ${ms} ms`);
      controller?.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    cancel?.();
  }
}

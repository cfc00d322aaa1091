import type { OutboundGuard } from '@switchboard/core';
import { type Clock, systemClock } from '../util/clock.js';
import type { ProviderKind } from './provider-error.js';
import { DEFAULT_RETRY, type RetryPolicy, withRetry, withTimeout } from './retry.js';
import type { ProviderMark, ProviderMetricsSink } from './types.js';

export interface ProviderBaseOptions {
  clock?: Clock;
  retry?: Partial<RetryPolicy>;
  /** Limit for opening a connection or checking credentials. */
  connectTimeoutMs?: number;
  /** Limit for the first token / audio / transcript after a request. */
  firstResultTimeoutMs?: number;
  onMark?: ProviderMetricsSink;
  /**
   * The checked way out: every connection the adapter opens goes through it (the network policy,
   * and for a provider with a credential, the hosts that credential may be sent to). The provider
   * factory always sets it; an adapter built without one (its own unit tests) connects directly.
   */
  outbound?: OutboundGuard;
}

/**
 * What every provider base shares: the clock, retry policy, time limits and timing marks. Adapters
 * never see these; they implement the protocol methods their base declares.
 */
export abstract class ProviderBase {
  abstract readonly name: string;
  abstract readonly kind: ProviderKind;
  protected readonly clock: Clock;
  protected readonly retry: RetryPolicy;
  protected readonly connectTimeoutMs: number;
  protected readonly firstResultTimeoutMs: number;
  protected readonly outbound: OutboundGuard | undefined;
  /** The most recent value of each mark, for health reports and tests. */
  readonly marks: Partial<Record<ProviderMark['mark'], number>> = {};
  readonly #onMark: ProviderMetricsSink | undefined;

  constructor(opts: ProviderBaseOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5000;
    this.firstResultTimeoutMs = opts.firstResultTimeoutMs ?? 10_000;
    this.#onMark = opts.onMark;
    this.outbound = opts.outbound;
  }

  protected mark(mark: ProviderMark['mark'], ms: number): void {
    this.marks[mark] = ms;
    this.#onMark?.({ provider: this.name, kind: this.kind, mark, ms });
  }

  /** Opens with retries (retryable errors only) and a time limit per attempt. */
  protected async connectWithRetry<T>(
    open: (signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    const started = this.clock.now();
    const result = await withRetry(
      async () => {
        const ctrl = new AbortController();
        const onAbort = () => ctrl.abort(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          return await withTimeout(
            open(ctrl.signal),
            this.connectTimeoutMs,
            this.clock,
            `${this.name} connect`,
            ctrl,
          );
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      },
      {
        policy: this.retry,
        clock: this.clock,
        signal,
        provider: this.name,
        onRetry: () => this.mark('retry', this.clock.now() - started),
      },
    );
    this.mark('connect', this.clock.now() - started);
    return result;
  }
}

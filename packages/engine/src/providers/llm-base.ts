import { guardedStream } from './guarded-stream.js';
import { ProviderBase } from './provider-base.js';
import type { LlmChunk, LlmProvider, LlmRequest } from './types.js';

/**
 * Base for language-model adapters. The adapter implements `stream` (one request, its protocol
 * only) and optionally `open` (a connection or credential check); retries, time limits and the
 * first-token mark are here.
 */
export abstract class LlmBase extends ProviderBase implements LlmProvider {
  readonly kind = 'llm' as const;

  protected abstract stream(req: LlmRequest): AsyncIterable<LlmChunk>;

  /** Override to open a connection or verify credentials before the first turn. */
  protected async open(_signal: AbortSignal): Promise<void> {}

  async prepare(signal: AbortSignal): Promise<void> {
    await this.connectWithRetry((s) => this.open(s), signal);
  }

  chat(req: LlmRequest): AsyncIterable<LlmChunk> {
    return guardedStream((signal) => this.stream({ ...req, signal }), {
      provider: this.name,
      clock: this.clock,
      retry: this.retry,
      firstResultTimeoutMs: this.firstResultTimeoutMs,
      signal: req.signal,
      onFirst: (ms) => this.mark('first-token', ms),
      onRetry: (ms) => this.mark('retry', ms),
    });
  }

  async close(): Promise<void> {}
}

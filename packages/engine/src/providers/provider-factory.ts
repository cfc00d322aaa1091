import type { Logger } from '@switchboard/core';
import { ProviderError, type ProviderKind } from './provider-error.js';
import type { AsrProvider, LlmProvider, ProviderContext, StsProvider, TtsProvider } from './types.js';

/**
 * Supplied by the composition root: turns a provider reference from `config.providers.<kind>` (a
 * provider id or `local:<type>`) into an instance for one call. The engine never imports a
 * provider; this is the only way one reaches it.
 */
export interface ProviderFactory {
  sts(ref: string, ctx: ProviderContext): StsProvider | Promise<StsProvider>;
  asr(ref: string, ctx: ProviderContext): AsrProvider | Promise<AsrProvider>;
  llm(ref: string, ctx: ProviderContext): LlmProvider | Promise<LlmProvider>;
  tts(ref: string, ctx: ProviderContext): TtsProvider | Promise<TtsProvider>;
}

/** Which reference served each kind in a call. */
export type ServedProviders = Partial<Record<ProviderKind, string>>;

export interface ChainResult<T> {
  ref: string;
  value: T;
}

/**
 * Tries each reference in order until one connects: the first serves, the rest are fallbacks for
 * when it cannot (bad credentials, provider down). Throws the last error when none connects.
 */
export async function connectFirst<T>(
  kind: ProviderKind,
  refs: readonly string[],
  connect: (ref: string) => Promise<T>,
  logger: Logger,
  signal: AbortSignal,
): Promise<ChainResult<T>> {
  let last: unknown = new ProviderError('bad_request', `no ${kind} provider configured`);
  let lastRef: string | undefined;
  for (const ref of refs) {
    if (signal.aborted) break;
    try {
      return { ref, value: await connect(ref) };
    } catch (e) {
      last = e;
      lastRef = ref;
      const err = ProviderError.from(e);
      logger.warn(
        { kind, ref, errKind: err.kind, err: err.message },
        'provider could not connect; trying next',
      );
    }
  }
  const err = ProviderError.from(last);
  // The message names the kind and provider, so the call row and readiness can say what is missing.
  if (!lastRef || err.message.includes(lastRef)) throw err;
  throw new ProviderError(err.kind, `${kind} provider ${lastRef}: ${err.message}`, {
    provider: lastRef,
    cause: err,
    retryable: err.retryable,
  });
}

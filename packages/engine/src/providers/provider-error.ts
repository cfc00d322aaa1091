import { AppError } from '@switchboard/core';

export type ProviderErrorKind =
  | 'auth'
  | 'rate_limit'
  | 'unavailable'
  | 'timeout'
  | 'protocol'
  | 'bad_request';
export type ProviderKind = 'sts' | 'asr' | 'llm' | 'tts';

export interface ProviderErrorOptions {
  /** Overrides the kind's default. */
  retryable?: boolean;
  provider?: string;
  status?: number;
  cause?: unknown;
}

const retryableByKind: Record<ProviderErrorKind, boolean> = {
  auth: false,
  rate_limit: true,
  unavailable: true,
  timeout: true,
  protocol: false,
  bad_request: false,
};

/**
 * A provider failure, classified once by the adapter that saw it. Retry loops read `retryable`;
 * the session reads it to decide between "sorry, say that again" and ending the call.
 */
export class ProviderError extends AppError {
  readonly kind: ProviderErrorKind;
  readonly provider: string | undefined;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super(
      kind === 'timeout' ? 'timeout' : kind === 'rate_limit' ? 'rate_limited' : 'provider_error',
      message,
      {
        retryable: options.retryable ?? retryableByKind[kind],
        cause: options.cause,
        status: kind === 'timeout' ? 504 : 502,
      },
    );
    this.name = 'ProviderError';
    this.kind = kind;
    this.provider = options.provider;
  }

  /** Classifies an HTTP status: 4xx is final except 408 and 429 (STYLE #9). */
  static fromStatus(status: number, message: string, options: Omit<ProviderErrorOptions, 'status'> = {}) {
    const kind: ProviderErrorKind =
      status === 401 || status === 403
        ? 'auth'
        : status === 429
          ? 'rate_limit'
          : status === 408
            ? 'timeout'
            : status >= 500
              ? 'unavailable'
              : 'bad_request';
    return new ProviderError(kind, message, { ...options, status });
  }

  /** Wraps anything thrown by an adapter; unknown errors (sockets, DNS) count as unavailable. */
  static from(error: unknown, provider?: string): ProviderError {
    if (error instanceof ProviderError) return error;
    if (error instanceof Error && error.name === 'AbortError') {
      return new ProviderError('timeout', error.message, { provider, cause: error, retryable: false });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new ProviderError('unavailable', message, { provider, cause: error });
  }
}

export const isProviderError = (e: unknown): e is ProviderError => e instanceof ProviderError;

import { AppError } from '@switchboard/core';

/**
 * A carrier REST call that failed, classified once here: credentials refused and other 4xx are
 * final; 408, 429, 5xx and network failures may be retried. It maps to 502 if it reaches the API,
 * since the user's own request was fine.
 */
export class CarrierError extends AppError {
  readonly carrier: string;
  /** HTTP status from the carrier; 0 for network failures and timeouts. */
  readonly httpStatus: number;
  /** The carrier's own error code when it sent one (Twilio's 20003, …). */
  readonly carrierCode: string | undefined;
  /** The carrier's Retry-After, when it sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(
    carrier: string,
    httpStatus: number,
    message: string,
    opts: {
      carrierCode?: string | undefined;
      retryable?: boolean;
      retryAfterMs?: number | undefined;
      cause?: unknown;
    } = {},
  ) {
    const retryable =
      opts.retryable ?? (httpStatus === 0 || httpStatus === 408 || httpStatus === 429 || httpStatus >= 500);
    super('provider_error', message, { retryable, cause: opts.cause });
    this.name = 'CarrierError';
    this.carrier = carrier;
    this.httpStatus = httpStatus;
    this.carrierCode = opts.carrierCode;
    this.retryAfterMs = opts.retryAfterMs;
  }

  /** The call is already gone at the carrier (hanging it up again is a no-op). */
  get notFound(): boolean {
    return this.httpStatus === 404;
  }
}

export const isCarrierError = (e: unknown): e is CarrierError => e instanceof CarrierError;

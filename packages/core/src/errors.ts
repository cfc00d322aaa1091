/**
 * Typed errors, classified once at the boundary that raises them.
 * HTTP maps `status`; retry loops read `retryable`.
 */
export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `body.config.turnTaking.endOfTurnSilenceMs`. */
  path: string;
  message: string;
}

export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'provider_error'
  | 'timeout'
  | 'unavailable'
  | 'internal';

const statusByCode: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  provider_error: 502,
  timeout: 504,
  unavailable: 503,
  internal: 500,
};

export interface AppErrorOptions {
  details?: ErrorDetail[];
  retryable?: boolean;
  cause?: unknown;
  status?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[];
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? statusByCode[code];
    this.details = options.details ?? [];
    this.retryable = options.retryable ?? (this.status === 408 || this.status === 429 || this.status >= 500);
  }
}

export const notFound = (what: string, id?: string) =>
  new AppError('not_found', id ? `${what} ${id} not found` : `${what} not found`);

export const conflict = (message: string, details?: ErrorDetail[]) =>
  new AppError('conflict', message, details ? { details } : {});

export const validationFailed = (message: string, details: ErrorDetail[]) =>
  new AppError('validation_failed', message, { details });

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

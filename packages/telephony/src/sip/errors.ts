import { AppError } from '@switchboard/core';

/**
 * Typed errors for the wire codecs. Parsers throw these and nothing else, so a transport can
 * catch one class, answer 400 (or drop the datagram) and carry on; fuzz tests hold them to that.
 */
export class SipParseError extends AppError {
  constructor(message: string) {
    super('bad_request', message, { retryable: false });
    this.name = 'SipParseError';
  }
}

export class SdpParseError extends AppError {
  constructor(message: string) {
    super('bad_request', message, { retryable: false });
    this.name = 'SdpParseError';
  }
}

export class RtpParseError extends AppError {
  constructor(message: string) {
    super('bad_request', message, { retryable: false });
    this.name = 'RtpParseError';
  }
}

/** Thrown by digest helpers when a challenge cannot be answered (unknown algorithm, missing field). */
export class DigestError extends AppError {
  constructor(message: string) {
    super('bad_request', message, { retryable: false });
    this.name = 'DigestError';
  }
}

/**
 * The contract between the HTTP API and the carrier connectors for checking a carrier account
 * credential (`twilio:<AccountSid>`, `plivo:<AuthId>`, `telnyx`) before it is stored. The checks
 * live with the carriers' REST clients; the server only maps the outcome to a status.
 */
export const CHECKED_CARRIERS = ['twilio', 'plivo', 'telnyx'] as const;
export type CheckedCarrier = (typeof CHECKED_CARRIERS)[number];

/**
 * `malformed`: the name or secret cannot be an account of the carrier (nothing was sent);
 * `rejected`: the carrier answered and refused it; `unreachable`: the carrier did not answer
 * usefully (network, timeout, 429, 5xx), so nothing is known about the credential.
 */
export type CarrierCheckFailure = 'malformed' | 'rejected' | 'unreachable';

export type CarrierCheckResult =
  | { ok: true; carrier: CheckedCarrier; message: string }
  | {
      ok: false;
      carrier: CheckedCarrier;
      failure: CarrierCheckFailure;
      /** Which check failed: `name`, `secret`, `auth`, `account`, `connection`, `publicKey`, `connect`. */
      check: string;
      /** The request field it points at: `name`, `value`, `value.publicKey`, … */
      field: string;
      /** In our words, starting with the carrier: `twilio: account AC… rejected the auth token (HTTP 401)`. */
      message: string;
      /** The carrier's HTTP status; null when it did not answer or nothing was sent. */
      httpStatus: number | null;
    };

export interface CarrierCheckRequest {
  name: string;
  secret: string;
  /** False: only the checks that need no network (name and secret format). */
  remote: boolean;
  signal?: AbortSignal;
}

/** Null when the name is not a carrier account: such credentials have no carrier check. */
export type ValidateCarrierCredential = (req: CarrierCheckRequest) => Promise<CarrierCheckResult | null>;

/** Whether a credential name claims to be a carrier account (`twilio:…`, `plivo:…`, `telnyx`), any case. */
export function carrierOfCredentialName(name: string): CheckedCarrier | null {
  const m = /^(twilio|plivo|telnyx)(?::|$)/i.exec(name.trim());
  return m ? (m[1]?.toLowerCase() as CheckedCarrier) : null;
}

import { type CarrierCheckResult, carrierOfCredentialName, type ErrorDetail } from '@switchboard/core';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../deps.js';
import { errorResponse } from '../schemas.js';

/** An answer the route sends instead of storing: the check failed or could not run. */
export interface CheckRefusal {
  status: 422 | 501 | 502;
  error: { code: string; message: string; details: ErrorDetail[] };
}

export const CARRIER_NAMES = '`twilio:<AccountSid>`, `plivo:<AuthId>` or `telnyx`';

export const checkResponses = {
  422: errorResponse
    .describe(
      'the carrier credential failed its check; the message names it and the carrier’s HTTP status, the ' +
        'detail points at the field (name, value, value.apiKey, value.publicKey, value.connectionId)',
    )
    .meta({
      examples: [
        {
          error: {
            code: 'validation_failed',
            message: 'twilio: account AC3f9a2b7c1d4e5f60718293a4b5c6d7e8 rejected the auth token (HTTP 401)',
            details: [
              {
                path: 'body.value',
                message:
                  'twilio: account AC3f9a2b7c1d4e5f60718293a4b5c6d7e8 rejected the auth token (HTTP 401)',
              },
            ],
          },
        },
        {
          error: {
            code: 'validation_failed',
            message: 'telnyx: publicKey is not a base64 Ed25519 public key (32 bytes)',
            details: [
              {
                path: 'body.value.publicKey',
                message: 'telnyx: publicKey is not a base64 Ed25519 public key (32 bytes)',
              },
            ],
          },
        },
      ],
    }),
  501: errorResponse.describe('this server runs without carrier credential checks'),
  502: errorResponse
    .describe('the carrier did not answer (network, timeout, 429, 5xx); nothing was stored')
    .meta({
      examples: [
        {
          error: {
            code: 'provider_error',
            message: 'telnyx: could not reach api.telnyx.com (ENOTFOUND)',
            details: [],
          },
        },
      ],
    }),
};

/** `?validate=false`: store a carrier credential after the form checks only. */
export const validateQuery = z.strictObject({
  validate: z
    .stringbool()
    .optional()
    .describe(
      'For carrier credentials (' +
        CARRIER_NAMES +
        '): `false` skips the call to the carrier (for servers without internet access); the name and ' +
        'secret are still checked for their form. Default `true`.',
    ),
});

/** Maps a failed check to its answer: 422 for what the carrier (or the form) refused, 502 when it did not answer. */
function refusal(r: Extract<CarrierCheckResult, { ok: false }>): CheckRefusal {
  if (r.failure === 'unreachable') {
    return { status: 502, error: { code: 'provider_error', message: r.message, details: [] } };
  }
  const path = `body.${r.field}`;
  return {
    status: 422,
    error: { code: 'validation_failed', message: r.message, details: [{ path, message: r.message }] },
  };
}

/**
 * Runs the carrier check for a secret about to be stored under `name`; null when it may be stored
 * (not a carrier account, or the check passed).
 */
export async function gateCarrierCredential(
  deps: Pick<AppDeps, 'validateCarrierCredential'>,
  log: FastifyBaseLogger,
  name: string,
  secret: string,
  validate: boolean,
): Promise<CheckRefusal | null> {
  const carrier = carrierOfCredentialName(name);
  if (!carrier) return null;
  const check = deps.validateCarrierCredential;
  if (!check) {
    if (!validate) return null;
    return {
      status: 501,
      error: {
        code: 'unavailable',
        message: `carrier credential checks are not enabled on this server; ${carrier} credentials are stored only with validate=false`,
        details: [],
      },
    };
  }
  const r = await check({ name, secret, remote: validate });
  if (!r || r.ok) {
    if (!validate)
      log.warn({ carrier }, 'carrier credential stored without asking the carrier (validate=false)');
    return null;
  }
  return refusal(r);
}

/**
 * Checks a carrier account credential the way the connectors will use it, before it is stored:
 * the name and secret must have the carrier's shape, then one authenticated read against the
 * carrier's REST API (at the configured base URL) must succeed. Each failure names the check and,
 * when the carrier answered, its HTTP status.
 */
import {
  type CarrierCheckResult,
  type CheckedCarrier,
  carrierOfCredentialName,
  type ValidateCarrierCredential,
} from '@switchboard/core';
import type { RetryPolicy } from '@switchboard/engine';
import { PLIVO_API, PlivoRestClient } from './plivo/plivo-rest.js';
import { TELNYX_API, TelnyxRestClient } from './telnyx/telnyx-rest.js';
import { telnyxPublicKey } from './telnyx/telnyx-signature.js';
import { TWILIO_API, TwilioRestClient } from './twilio/twilio-rest.js';
import { isCarrierError } from './ws-media/carrier-error.js';

export interface CarrierCheckOptions {
  /** REST base URLs; unset means the carrier's own host. */
  apiUrls?: Partial<Record<CheckedCarrier, string>>;
  timeoutMs?: number;
  retry?: RetryPolicy;
  fetch?: typeof fetch;
}

/** A person waits on the answer: one retry of a transient failure, not the calls' three. */
const CHECK_RETRY: RetryPolicy = { maxRetries: 1, baseDelayMs: 300, maxDelayMs: 1000 };
const CHECK_TIMEOUT_MS = 10_000;

const TWILIO_SID = /^AC[0-9a-fA-F]{32}$/;
// Plivo documents auth ids as `MA…`/`SA…` (20 characters); letters and digits are enforced so
// the id is safe in a URL path, the length is left to Plivo's own answer.
const PLIVO_AUTH_ID = /^[A-Za-z0-9]{1,64}$/;
const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

type Fail = Extract<CarrierCheckResult, { ok: false }>;

export function carrierCredentialChecker(opts: CarrierCheckOptions = {}): ValidateCarrierCredential {
  return async (req) => {
    const carrier = carrierOfCredentialName(req.name);
    if (!carrier) return null;
    const parsed = parse(carrier, req.name.trim(), req.secret);
    if ('ok' in parsed) return parsed;
    if (!req.remote) {
      return {
        ok: true,
        carrier,
        message: `${carrier}: the name and secret have the expected form (not sent)`,
      };
    }
    return remoteCheck(parsed, opts, req.signal);
  };
}

type Parsed =
  | { carrier: 'twilio'; accountSid: string; authToken: string }
  | { carrier: 'plivo'; authId: string; authToken: string }
  | { carrier: 'telnyx'; apiKey: string; publicKey: string; connectionId: string };

const malformed = (carrier: CheckedCarrier, check: string, field: string, message: string): Fail => ({
  ok: false,
  carrier,
  failure: 'malformed',
  check,
  field,
  message: `${carrier}: ${message}`,
  httpStatus: null,
});

function parse(carrier: CheckedCarrier, name: string, secret: string): Parsed | Fail {
  if (carrier === 'telnyx') return parseTelnyx(name, secret);
  const prefix = `${carrier}:`;
  const id = name.slice(prefix.length);
  // Webhooks and calls find the account by its exact name, so the prefix must be lowercase.
  if (!name.startsWith(prefix)) {
    return malformed(
      carrier,
      'name',
      'name',
      `the name must be ${prefix}<${carrier === 'twilio' ? 'AccountSid' : 'AuthId'}> in lowercase`,
    );
  }
  // The secret is checked exactly as it will be stored and used: a pasted line break would pass a
  // trimmed check and then fail every call.
  const token = secret;
  const tokenProblem = !token.trim()
    ? 'the secret must be the auth token'
    : token !== token.trim()
      ? 'the auth token has spaces or line breaks around it'
      : null;
  if (carrier === 'twilio') {
    if (!TWILIO_SID.test(id)) {
      return malformed(
        carrier,
        'name',
        'name',
        id
          ? `"${id}" is not an Account SID (AC followed by 32 hexadecimal digits)`
          : 'the name must be twilio:<AccountSid>',
      );
    }
    if (tokenProblem) return malformed(carrier, 'secret', 'value', tokenProblem);
    return { carrier, accountSid: id, authToken: token };
  }
  if (!PLIVO_AUTH_ID.test(id)) {
    return malformed(
      carrier,
      'name',
      'name',
      id ? `"${id}" is not an Auth ID (letters and digits, e.g. MA…)` : 'the name must be plivo:<AuthId>',
    );
  }
  if (tokenProblem) return malformed(carrier, 'secret', 'value', tokenProblem);
  return { carrier, authId: id, authToken: token };
}

function parseTelnyx(name: string, secret: string): Parsed | Fail {
  if (name !== 'telnyx') return malformed('telnyx', 'name', 'name', 'the name must be exactly "telnyx"');
  let value: unknown;
  try {
    value = JSON.parse(secret);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed(
      'telnyx',
      'secret',
      'value',
      'the secret must be JSON: {"apiKey":"…","publicKey":"…","connectionId":"…"}',
    );
  }
  const v = value as Record<string, unknown>;
  for (const field of ['apiKey', 'publicKey', 'connectionId'] as const) {
    const f = v[field];
    if (typeof f !== 'string' || !f.trim()) {
      const what = f === undefined || f === null ? 'is missing' : 'must be a non-empty string';
      return malformed('telnyx', field, `value.${field}`, `${field} ${what}`);
    }
    if (f !== f.trim()) {
      return malformed('telnyx', field, `value.${field}`, `${field} has spaces or line breaks around it`);
    }
  }
  const [apiKey, publicKey, connectionId] = [v.apiKey, v.publicKey, v.connectionId] as [
    string,
    string,
    string,
  ];
  if (!isEd25519PublicKey(publicKey)) {
    return malformed(
      'telnyx',
      'publicKey',
      'value.publicKey',
      'publicKey is not a base64 Ed25519 public key (32 bytes)',
    );
  }
  return { carrier: 'telnyx', apiKey, publicKey, connectionId };
}

/** The webhook signature key as the Telnyx portal shows it: base64 of the raw 32-byte key. */
function isEd25519PublicKey(b64: string): boolean {
  if (!BASE64_32_BYTES.test(b64)) return false;
  try {
    return telnyxPublicKey(b64).asymmetricKeyType === 'ed25519';
  } catch {
    return false;
  }
}

async function remoteCheck(
  p: Parsed,
  opts: CarrierCheckOptions,
  signal?: AbortSignal,
): Promise<CarrierCheckResult> {
  const baseUrl = (opts.apiUrls?.[p.carrier] ?? DEFAULT_URL[p.carrier]).replace(/\/$/, '');
  const client = {
    baseUrl,
    retry: opts.retry ?? CHECK_RETRY,
    timeoutMs: opts.timeoutMs ?? CHECK_TIMEOUT_MS,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  };
  try {
    if (p.carrier === 'twilio') {
      const account = await new TwilioRestClient(p, client).fetchAccount(signal);
      if (account.status === 'suspended' || account.status === 'closed') {
        return rejected(p.carrier, 'account', 'name', `account ${p.accountSid} is ${account.status}`, 200);
      }
      return {
        ok: true,
        carrier: p.carrier,
        message: `twilio: account ${p.accountSid} accepted the auth token`,
      };
    }
    if (p.carrier === 'plivo') {
      await new PlivoRestClient(p, client).getAccount(signal);
      return { ok: true, carrier: p.carrier, message: `plivo: account ${p.authId} accepted the auth token` };
    }
    await new TelnyxRestClient(p, client).getCallControlApplication(p.connectionId, signal);
    return {
      ok: true,
      carrier: p.carrier,
      message: `telnyx: the API key works and connection ${p.connectionId} exists`,
    };
  } catch (e) {
    return failure(p, baseUrl, e);
  }
}

const DEFAULT_URL: Record<CheckedCarrier, string> = {
  twilio: TWILIO_API,
  plivo: PLIVO_API,
  telnyx: TELNYX_API,
};

const rejected = (
  carrier: CheckedCarrier,
  check: string,
  field: string,
  message: string,
  httpStatus: number,
): Fail => ({
  ok: false,
  carrier,
  failure: 'rejected',
  check,
  field,
  message: `${carrier}: ${message}`,
  httpStatus,
});

/** What the carrier's answer (or its silence) says about the credential. */
function failure(p: Parsed, baseUrl: string, e: unknown): Fail {
  const host = hostOf(baseUrl);
  const status = isCarrierError(e) ? e.httpStatus : 0;
  const unreachable = (message: string): Fail => ({
    ok: false,
    carrier: p.carrier,
    failure: 'unreachable',
    check: 'connect',
    field: 'name',
    message: `${p.carrier}: ${message}`,
    httpStatus: status || null,
  });
  if (status === 0) {
    const timedOut = e instanceof Error && / timed out$/.test(e.message);
    return unreachable(
      timedOut ? `${host} did not answer in time` : `could not reach ${host} (${networkReason(e)})`,
    );
  }
  if (status === 408 || status === 429 || status >= 500) {
    return unreachable(
      `${host} answered HTTP ${status}; nothing is known about the credential yet, try again`,
    );
  }
  const http = `(HTTP ${status})`;
  const auth = status === 401 || status === 403;
  if (p.carrier === 'telnyx') {
    if (auth) return rejected(p.carrier, 'auth', 'value.apiKey', `the API key was rejected ${http}`, status);
    if (status === 404) {
      return rejected(
        p.carrier,
        'connection',
        'value.connectionId',
        `connection ${p.connectionId} not found ${http}`,
        status,
      );
    }
    return rejected(
      p.carrier,
      'connection',
      'value.connectionId',
      `connection ${p.connectionId} could not be read ${http}`,
      status,
    );
  }
  const account = p.carrier === 'twilio' ? p.accountSid : p.authId;
  if (auth)
    return rejected(p.carrier, 'auth', 'value', `account ${account} rejected the auth token ${http}`, status);
  if (status === 404)
    return rejected(p.carrier, 'account', 'name', `account ${account} not found ${http}`, status);
  return rejected(p.carrier, 'account', 'name', `account ${account} could not be read ${http}`, status);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The system's reason (ECONNREFUSED, ENOTFOUND…) under fetch's generic "fetch failed". */
function networkReason(e: unknown): string {
  let c: unknown = e;
  for (let i = 0; i < 4 && c; i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    c = (c as { cause?: unknown }).cause;
  }
  return 'no answer';
}

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * The timestamp is inside the MAC so a captured request cannot be replayed later than the
 * receiver's tolerance; several `v1=` values may appear while a secret is being rotated.
 */
export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const EVENT_ID_HEADER = 'x-switchboard-event-id';
export const EVENT_TYPE_HEADER = 'x-switchboard-event-type';

export function computeSignature(secret: string, timestampSeconds: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

export function signatureHeader(secret: string, body: string | Buffer, nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${computeSignature(secret, t, body)}`;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * For receivers (and tests): checks the header against the raw body. `toleranceSeconds` bounds
 * how old (or how far in the future) the signed timestamp may be.
 */
export function verifySignature(
  secret: string,
  header: string | undefined | null,
  body: string | Buffer,
  toleranceSeconds = 300,
  nowMs = Date.now(),
): VerifyResult {
  if (!header) return { ok: false, reason: 'missing signature header' };
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v) candidates.push(v);
  }
  if (t === undefined) return { ok: false, reason: 'no timestamp in signature header' };
  if (candidates.length === 0) return { ok: false, reason: 'no v1 signature in header' };
  if (Math.abs(nowMs / 1000 - t) > toleranceSeconds)
    return { ok: false, reason: 'timestamp outside tolerance' };
  const expected = Buffer.from(computeSignature(secret, t, body), 'hex');
  for (const c of candidates) {
    const given = Buffer.from(c, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected))
      return { ok: true, timestamp: t };
  }
  return { ok: false, reason: 'signature mismatch' };
}

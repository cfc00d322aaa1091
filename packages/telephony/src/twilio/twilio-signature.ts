/**
 * X-Twilio-Signature (protocols.md §1.5, from twilio-node's webhooks.ts): HMAC-SHA1 with the
 * account's auth token over the full URL followed by every form parameter as name+value, names
 * sorted; repeated names contribute each distinct value, values sorted. Base64.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FormParams } from '../ws-media/fastify-support.js';

export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  let data = url;
  for (const k of Object.keys(params).sort()) {
    const v = params[k];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? [...new Set(v)].sort() : [v]) data += k + one;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The URL with and without the scheme's default port: Twilio signs either form, so both are
 * tried, as its own library does.
 */
export function urlVariants(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [url];
  }
  // WHATWG URL drops a default port, so `port === ''` covers both ':443' and no port at all.
  if (u.port !== '') return [url];
  const def = u.protocol === 'https:' || u.protocol === 'wss:' ? '443' : '80';
  const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  const rest = `${u.pathname}${u.search}`;
  const without = `${u.protocol}//${auth}${u.hostname}${rest}`;
  const withPort = `${u.protocol}//${auth}${u.hostname}:${def}${rest}`;
  return [...new Set([url, without, withPort])];
}

/**
 * Checks a form-bodied webhook. For JSON-bodied webhooks pass `rawBody`: the URL then carries
 * `bodySHA256`, the signature covers the URL alone and the body hash is compared separately.
 */
export function validateTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: FormParams,
  rawBody?: string,
): boolean {
  if (!signature) return false;
  if (rawBody !== undefined) {
    const hash = new URL(url).searchParams.get('bodySHA256');
    if (!hash || !equal(hash, createHash('sha256').update(rawBody, 'utf8').digest('hex'))) return false;
    params = {};
  }
  return urlVariants(url).some((u) => equal(twilioSignature(authToken, u, params), signature));
}

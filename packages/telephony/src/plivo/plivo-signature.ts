/**
 * X-Plivo-Signature-V3. protocols.md §2.4 leaves the string-to-sign open; this follows Plivo's own
 * SDK (plivo-node lib/utils/v3Security.js, read for this): for a POST, the URL without its query,
 * then `?` and the URL's query parameters as sorted `k=v` joined by `&` (followed by `.` when
 * there are also body parameters), then every body parameter as name+value, names sorted and
 * repeated values sorted; then `.` and the nonce. HMAC-SHA256 with the auth token, base64. The
 * header may hold several comma-separated signatures (token rotation); one match is enough.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FormParams } from '../ws-media/fastify-support.js';

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : [v].flat());

/** The string Plivo signs for a POST to `url` with form `params` (before `.nonce`). */
export function plivoSignedString(url: string, params: FormParams): string {
  const u = new URL(url);
  const base = `${u.protocol}//${u.host}${u.pathname}`;
  const query: Record<string, string[]> = {};
  for (const [k, v] of u.searchParams) {
    query[k] ??= [];
    query[k].push(v);
  }
  const queryString = Object.keys(query)
    .sort()
    .flatMap((k) => [...(query[k] ?? [])].sort().map((v) => `${k}=${v}`))
    .join('&');
  const hasBody = Object.keys(params).length > 0;
  let s = base;
  if (queryString || hasBody) s += `?${queryString}`;
  if (queryString && hasBody) s += '.';
  for (const k of Object.keys(params).sort()) for (const v of asList(params[k]).sort()) s += k + v;
  return s;
}

export function plivoSignature(authToken: string, url: string, params: FormParams, nonce: string): string {
  return createHmac('sha256', authToken)
    .update(`${plivoSignedString(url, params)}.${nonce}`, 'utf8')
    .digest('base64');
}

export function validatePlivoSignature(
  authToken: string,
  signatures: string | undefined,
  nonce: string | undefined,
  url: string,
  params: FormParams,
): boolean {
  if (!signatures || !nonce) return false;
  const want = Buffer.from(plivoSignature(authToken, url, params, nonce));
  return signatures.split(',').some((s) => {
    const got = Buffer.from(s.trim());
    return got.length === want.length && timingSafeEqual(got, want);
  });
}

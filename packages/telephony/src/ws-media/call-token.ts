import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * A per-call token binding the data we hand the carrier at answer time (call id, numbers,
 * parameters) to the media socket that comes back with it. Any worker can check it without shared
 * state, since it is an HMAC (hex, which every carrier's parameter syntax allows) keyed with the account's secret, so a stranger who finds the media
 * URL cannot open a stream or forge the numbers.
 */
export function callToken(secret: string, fields: Record<string, string>): string {
  let data = '';
  for (const k of Object.keys(fields).sort()) data += `${k}=${fields[k]}\n`;
  return createHmac('sha256', secret).update(data, 'utf8').digest('hex').slice(0, 32);
}

export function callTokenOk(
  secret: string,
  fields: Record<string, string>,
  token: string | undefined,
): boolean {
  if (!token) return false;
  const want = Buffer.from(callToken(secret, fields));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}

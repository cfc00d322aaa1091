import { outboundRefusal } from '@switchboard/core';
import type { HttpPost } from './http-post.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';
import { truncate } from './util.js';

/** The outcome of one attempt. `permanent` failures are dead-lettered without retrying. */
export type SendResult =
  | { ok: true; status: number | null }
  | { ok: false; status: number | null; error: string; permanent: boolean };

export interface HttpDelivery {
  url: string;
  body: string;
  eventId: string;
  eventType: string;
  /** Signs the body when set. */
  secret: string | null;
  /** AVR receivers compare a shared secret header instead of verifying a MAC. */
  avrSecret?: string | null;
  nowMs: number;
}

/** 4xx means the receiver refuses this request for good, except timeouts and rate limits. */
const permanentStatus = (s: number) => s >= 400 && s < 500 && s !== 408 && s !== 429;

export async function sendHttp(
  d: HttpDelivery,
  options: { post: HttpPost; timeoutMs: number },
): Promise<SendResult> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'Switchboard-Webhooks/1',
    [EVENT_ID_HEADER]: d.eventId,
    [EVENT_TYPE_HEADER]: d.eventType,
  };
  if (d.secret) headers[SIGNATURE_HEADER] = signatureHeader(d.secret, d.body, d.nowMs);
  if (d.avrSecret) headers['x-avr-webhook-secret'] = d.avrSecret;
  try {
    const res = await options.post(d.url, { headers, body: d.body, timeoutMs: options.timeoutMs });
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return {
      ok: false,
      status: res.status,
      error: `HTTP ${res.status}`,
      permanent: permanentStatus(res.status),
    };
  } catch (e) {
    // A target the outbound guard refuses is refused again on every retry: dead-letter it now,
    // with the reason (which names the setting that would allow it).
    const refused = outboundRefusal(e);
    if (refused) return { ok: false, status: null, error: truncate(refused.message), permanent: true };
    const err = e as Error & { code?: string; cause?: { code?: string } };
    const what =
      err.name === 'TimeoutError'
        ? `timed out after ${options.timeoutMs} ms`
        : (err.code ?? err.cause?.code ?? err.message);
    return { ok: false, status: null, error: truncate(String(what)), permanent: false };
  }
}

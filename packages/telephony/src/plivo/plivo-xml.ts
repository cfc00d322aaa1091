/** Plivo XML answers (protocols.md §2.1). */
import { escapeXml } from '../ws-media/fastify-support.js';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * A bidirectional μ-law stream that keeps the call up while connected. `extraHeaders` come back
 * on `start`; Plivo allows only alphanumerics there, so values must already be encoded.
 */
export function streamXml(o: {
  url: string;
  extraHeaders: Record<string, string>;
  statusCallbackUrl: string;
}): string {
  const extra = Object.entries(o.extraHeaders)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return (
    `${HEAD}<Response><Stream bidirectional="true" keepCallAlive="true" ` +
    `contentType="audio/x-mulaw;rate=8000" streamTimeout="86400" extraHeaders="${escapeXml(extra)}" ` +
    `statusCallbackUrl="${escapeXml(o.statusCallbackUrl)}" statusCallbackMethod="POST">${escapeXml(o.url)}</Stream></Response>`
  );
}

export function hangupXml(reason: 'busy' | 'rejected' = 'rejected'): string {
  return `${HEAD}<Response><Hangup reason="${reason}"/></Response>`;
}

/** A blind transfer target: a SIP URI dials `<User>`, anything else `<Number>` (digits only). */
export function dialXml(target: string): string {
  const t = target.trim();
  const noun = /^sips?:/i.test(t)
    ? `<User>${escapeXml(t)}</User>`
    : `<Number>${escapeXml(t.replace(/^\+/, ''))}</Number>`;
  return `${HEAD}<Response><Dial>${noun}</Dial></Response>`;
}

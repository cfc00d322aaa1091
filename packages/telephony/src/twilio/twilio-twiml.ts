/** TwiML documents (protocols.md §1.2); every attribute and text value is XML-escaped. */
import { escapeXml } from '../ws-media/fastify-support.js';

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>';

export interface ConnectStreamOptions {
  /** `wss://…/twilio/media` */
  url: string;
  parameters: Record<string, string>;
  /** Stream lifecycle callback (stream-started / stream-stopped / stream-error). */
  statusCallback?: string;
  /** Said if the stream ends while the call is still up (TwiML after </Connect> runs then). */
  fallbackSay?: string;
}

/** `<Connect><Stream>`: bidirectional, the caller hears what we send back. */
export function connectStreamTwiml(o: ConnectStreamOptions): string {
  const attrs = [`url="${escapeXml(o.url)}"`];
  if (o.statusCallback) {
    attrs.push(`statusCallback="${escapeXml(o.statusCallback)}"`, 'statusCallbackMethod="POST"');
  }
  const params = Object.entries(o.parameters)
    .map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`)
    .join('');
  const say = o.fallbackSay ? `<Say>${escapeXml(o.fallbackSay)}</Say>` : '';
  return `${HEAD}<Response><Connect><Stream ${attrs.join(' ')}>${params}</Stream></Connect>${say}</Response>`;
}

/** Refuses the call before it is answered (the caller hears busy). */
export function rejectTwiml(reason: 'busy' | 'rejected' = 'rejected'): string {
  return `${HEAD}<Response><Reject reason="${reason}"/></Response>`;
}

/** Ends a call that was answered. */
export function hangupTwiml(): string {
  return `${HEAD}<Response><Hangup/></Response>`;
}

/** A blind transfer: a SIP URI dials `<Sip>`, anything else `<Number>`. */
export function dialTwiml(target: string): string {
  const t = target.trim();
  const noun = /^sips?:/i.test(t) ? `<Sip>${escapeXml(t)}</Sip>` : `<Number>${escapeXml(t)}</Number>`;
  return `${HEAD}<Response><Dial>${noun}</Dial></Response>`;
}

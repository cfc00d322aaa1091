import type { RawData } from 'ws';

/** The part of a WebSocket a media leg uses; `ws`'s WebSocket satisfies it. */
export interface MediaSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
  /** Bytes queued in user space, not yet handed to the kernel. */
  readonly bufferedAmount: number;
}

export const WS_OPEN = 1;

/** Close codes that mean the peer ended the stream on purpose (normal, going away, no status). */
export const CLEAN_CLOSE_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/**
 * One text frame as a JSON object. Binary frames, invalid JSON and non-objects give undefined:
 * carriers only send JSON objects, and anything else is dropped, never thrown.
 */
export function parseJsonObject(data: RawData, isBinary: boolean): Record<string, unknown> | undefined {
  if (isBinary) return undefined;
  const text = Array.isArray(data)
    ? Buffer.concat(data).toString('utf8')
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : Buffer.from(data).toString('utf8');
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const MEDIA_PREFIX = Buffer.from('{"event":"media",');
const PAYLOAD_KEY = Buffer.from('"payload":"');
const QUOTE = 0x22;
const CLOSE_BRACE = 0x7d;

/**
 * The base64 payload of a media message, read without parsing the JSON: media is 50 messages a
 * second per call, and JSON.parse plus the object it builds is the biggest per-message cost of the
 * relay after the socket itself. Only the compact shape carriers send is recognised: the text
 * starts with `{"event":"media",`, it has exactly one `"payload":"…"`, which closes its object, and
 * it ends with `}`. Anything else gives undefined and goes through JSON.parse as usual. A payload
 * with a JSON escape in it fails base64 decoding afterwards and takes the same slow path. The rest
 * of the text is not checked to be JSON: a WebSocket frame arrives whole, and the fields skipped
 * are the ones the media dispatch ignores anyway.
 */
export function mediaPayloadText(data: RawData, isBinary: boolean): string | undefined {
  if (isBinary || !Buffer.isBuffer(data)) return undefined;
  const n = data.length;
  if (n < MEDIA_PREFIX.length + PAYLOAD_KEY.length + 3 || data[n - 1] !== CLOSE_BRACE) return undefined;
  if (data.compare(MEDIA_PREFIX, 0, MEDIA_PREFIX.length, 0, MEDIA_PREFIX.length) !== 0) return undefined;
  const key = data.indexOf(PAYLOAD_KEY, MEDIA_PREFIX.length);
  if (key < 0) return undefined;
  const start = key + PAYLOAD_KEY.length;
  const end = data.indexOf(QUOTE, start);
  if (end < 0 || data[end + 1] !== CLOSE_BRACE || data.indexOf(PAYLOAD_KEY, end) >= 0) return undefined;
  return data.toString('latin1', start, end);
}

/** Field readers that accept what carriers actually send (numbers as strings and vice versa). */
export const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;

export const obj = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** String-valued entries of an object (custom parameters); other values are skipped. */
export function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v) ?? {})) {
    const s = str(x);
    if (s !== undefined) out[k] = s;
  }
  return out;
}

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

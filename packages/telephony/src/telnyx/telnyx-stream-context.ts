/**
 * Per-call data for the Telnyx media socket travels in the stream URL's path, signed: whether
 * Telnyx forwards query strings or custom parameters on `start` is not documented (protocols.md
 * §3.1 lists the `start` fields as partly unverified), while the path is always the path. The
 * signature is the call token (HMAC with the account's API key), checked before the upgrade.
 */
import { callToken, callTokenOk } from '../ws-media/call-token.js';

export interface TelnyxStreamContext {
  direction: 'inbound' | 'outbound';
  from: string;
  to: string;
  ref?: string | undefined;
  parameters: Record<string, string>;
  /** The call was placed with answering-machine detection: its verdict follows as a webhook. */
  amd?: boolean;
}

export function encodeStreamContext(apiKey: string, c: TelnyxStreamContext): string {
  const data = Buffer.from(
    JSON.stringify({
      d: c.direction,
      f: c.from,
      t: c.to,
      r: c.ref,
      p: c.parameters,
      ...(c.amd ? { a: 1 } : {}),
    }),
    'utf8',
  ).toString('base64url');
  return `${data}/${callToken(apiKey, { data })}`;
}

/** Reads the context without trusting it (to find the account); `verifyStreamContext` checks it. */
export function peekStreamContext(data: string): TelnyxStreamContext | undefined {
  try {
    const o = JSON.parse(Buffer.from(data, 'base64url').toString('utf8')) as Record<string, unknown>;
    const p = o.p && typeof o.p === 'object' ? (o.p as Record<string, unknown>) : {};
    const parameters: Record<string, string> = {};
    for (const [k, v] of Object.entries(p)) if (typeof v === 'string') parameters[k] = v;
    return {
      direction: o.d === 'outbound' ? 'outbound' : 'inbound',
      from: typeof o.f === 'string' ? o.f : '',
      to: typeof o.t === 'string' ? o.t : '',
      ref: typeof o.r === 'string' ? o.r : undefined,
      parameters,
      ...(o.a === 1 ? { amd: true } : {}),
    };
  } catch {
    return undefined;
  }
}

export const verifyStreamContext = (apiKey: string, data: string, sig: string): boolean =>
  callTokenOk(apiKey, { data }, sig);

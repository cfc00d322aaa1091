import { createHmac } from 'node:crypto';
import { outboundRefusal, type ToolConfig } from '@switchboard/core';
import type { Clock } from '../util/clock.js';

type HttpToolConfig = Extract<ToolConfig, { type: 'http' }>;

export const SIGNATURE_HEADER = 'X-Switchboard-Signature';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, the same scheme as outgoing webhooks. */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface HttpToolRequest {
  tool: HttpToolConfig;
  args: Record<string, unknown>;
  callId: string;
  secret?: string;
  clock: Clock;
  signal: AbortSignal;
  fetch?: typeof fetch;
}

const MAX_RESULT_CHARS = 4000;

/**
 * Calls the team's endpoint with the model's arguments: a JSON body, or the query string for GET
 * and DELETE. Returns the parsed JSON (or text) of a 2xx reply; anything else throws, and the
 * runner turns the throw into a tool error for the model.
 */
export async function callHttpTool(req: HttpToolRequest): Promise<unknown> {
  const { tool, args } = req;
  const url = new URL(tool.url);
  const hasBody = tool.method !== 'GET' && tool.method !== 'DELETE';
  if (!hasBody) {
    for (const [k, v] of Object.entries(args)) {
      url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  const body = hasBody ? JSON.stringify(args) : '';
  const headers: Record<string, string> = {
    ...tool.headers,
    'X-Switchboard-Call-Id': req.callId,
    Accept: 'application/json',
  };
  if (hasBody) headers['Content-Type'] = 'application/json';
  if (req.secret) headers[SIGNATURE_HEADER] = signBody(req.secret, body, Math.floor(Date.now() / 1000));

  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(req.signal.reason);
  req.signal.addEventListener('abort', onAbort, { once: true });
  const cancelTimer = req.clock.schedule(
    () => ctrl.abort(new Error(`timed out after ${tool.timeoutMs} ms`)),
    tool.timeoutMs,
  );
  try {
    const res = await (req.fetch ?? fetch)(url, {
      method: tool.method,
      headers,
      ...(hasBody ? { body } : {}),
      signal: ctrl.signal,
    });
    const text = (await res.text()).slice(0, MAX_RESULT_CHARS);
    if (!res.ok) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`);
    try {
      return text ? JSON.parse(text) : null;
    } catch {
      return text;
    }
  } catch (e) {
    if (ctrl.signal.aborted && ctrl.signal.reason instanceof Error) throw ctrl.signal.reason;
    // A refused target says why (the network policy), not only `fetch failed`.
    const refused = outboundRefusal(e);
    if (refused) throw new Error(`refused: ${refused.message}`);
    throw e;
  } finally {
    cancelTimer();
    req.signal.removeEventListener('abort', onAbort);
  }
}

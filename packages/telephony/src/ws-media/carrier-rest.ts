/**
 * The HTTP part every carrier REST client shares: timeout, classification into `CarrierError`,
 * retries with backoff for the retryable ones (honouring Retry-After). The client files only
 * spell URLs and bodies.
 */
import { backoffMs, type RetryPolicy } from '@switchboard/engine';
import { CarrierError } from './carrier-error.js';

export interface RestTransport {
  carrier: string;
  /** Base URL without a trailing slash, so tests can point a client at a local fake. */
  baseUrl: string;
  /** The Authorization header value. */
  authorization: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

export interface RestRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Form body (URLSearchParams) or JSON body (a plain object). */
  body?: URLSearchParams | Record<string, unknown>;
  signal?: AbortSignal;
}

export const DEFAULT_REST_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 4000 };
const MAX_RETRY_AFTER_MS = 10_000;

/** Sends one request with retries; resolves with the parsed JSON body (undefined when empty). */
export async function restCall(t: RestTransport, req: RestRequest): Promise<unknown> {
  const policy = t.retry ?? DEFAULT_REST_RETRY;
  for (let attempt = 0; ; attempt++) {
    try {
      return await once(t, req);
    } catch (e) {
      const err = e instanceof CarrierError ? e : new CarrierError(t.carrier, 0, errMessage(e), { cause: e });
      if (!err.retryable || attempt >= policy.maxRetries || req.signal?.aborted) throw err;
      await delay(err.retryAfterMs ?? backoffMs(policy, attempt), req.signal);
    }
  }
}

async function once(t: RestTransport, req: RestRequest): Promise<unknown> {
  const headers: Record<string, string> = { authorization: t.authorization, accept: 'application/json' };
  let body: string | undefined;
  if (req.body instanceof URLSearchParams) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = req.body.toString();
  } else if (req.body) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(req.body);
  }
  const timeout = AbortSignal.timeout(t.timeoutMs ?? 10_000);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await (t.fetch ?? fetch)(`${t.baseUrl}${req.path}`, { method: req.method, headers, body, signal });
  } catch (e) {
    const what = timeout.aborted ? 'timed out' : `failed: ${errMessage(e)}`;
    throw new CarrierError(t.carrier, 0, `${t.carrier} ${req.method} ${req.path} ${what}`, { cause: e });
  }
  const text = await res.text().catch(() => '');
  const json = parseJson(text);
  if (res.ok) return json;
  const detail = describe(json, text);
  const code = carrierCode(json);
  const message =
    res.status === 401 || res.status === 403
      ? `${t.carrier} rejected the credentials (${res.status}${code ? ` code ${code}` : ''}): check the account id and token`
      : `${t.carrier} ${req.method} ${req.path} → ${res.status}${detail ? `: ${detail}` : ''}`;
  const retryAfter = Number(res.headers.get('retry-after'));
  const retryAfterMs =
    Number.isFinite(retryAfter) && retryAfter > 0
      ? Math.min(retryAfter * 1000, MAX_RETRY_AFTER_MS)
      : undefined;
  throw new CarrierError(t.carrier, res.status, message, { carrierCode: code, retryAfterMs });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The carrier's own message, from the shapes Twilio, Plivo and Telnyx use. */
function describe(json: unknown, text: string): string {
  const o = json as
    | { message?: unknown; error?: unknown; errors?: { detail?: unknown; title?: unknown }[] }
    | undefined;
  const first = Array.isArray(o?.errors) ? o.errors[0] : undefined;
  const m = o?.message ?? o?.error ?? first?.detail ?? first?.title;
  return typeof m === 'string' ? m.slice(0, 300) : json === undefined ? text.slice(0, 200) : '';
}

function carrierCode(json: unknown): string | undefined {
  const o = json as { code?: unknown; errors?: { code?: unknown }[] } | undefined;
  const c = o?.code ?? (Array.isArray(o?.errors) ? o.errors[0]?.code : undefined);
  return typeof c === 'string' || typeof c === 'number' ? String(c) : undefined;
}

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

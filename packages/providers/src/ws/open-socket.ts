import { ProviderError } from '@switchboard/engine';
import WebSocket from 'ws';

export interface OpenSocketOptions {
  provider: string;
  headers?: Record<string, string>;
  protocols?: string[];
  /** Aborting closes the socket (used by the base's connect time limit). */
  signal: AbortSignal;
}

const MAX_BODY = 2048;

/**
 * Opens a WebSocket and classifies a refused upgrade once, here: the HTTP status of the upgrade
 * response becomes a ProviderError (401/403 auth and final, 429/5xx retryable), and a network
 * failure becomes `unavailable`. The vendor's error text is kept from a JSON body when present.
 * The socket comes back paused: whoever takes it attaches listeners, then calls `resume()`.
 */
export function openSocket(url: string, opts: OpenSocketOptions): Promise<WebSocket> {
  const { provider, signal } = opts;
  if (signal.aborted) return Promise.reject(ProviderError.from(signal.reason, provider));
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, opts.protocols ?? [], {
      headers: opts.headers ?? {},
      perMessageDeflate: false,
    });
    let settled = false;
    const settle = (err: ProviderError | undefined) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.off('error', onError);
      if (err) {
        socket.removeAllListeners('open');
        socket.on('error', () => {});
        socket.terminate();
        reject(err);
      } else resolve(socket);
    };
    const onAbort = () => settle(ProviderError.from(signal.reason, provider));
    const onError = (e: Error) =>
      settle(new ProviderError('unavailable', `${provider} connect: ${e.message}`, { provider, cause: e }));
    signal.addEventListener('abort', onAbort, { once: true });
    socket.on('error', onError);
    socket.once('open', () => {
      // A vendor that speaks first (session.created, Welcome) can do so in the same packet as
      // the upgrade; hold messages until the session has its listeners (WsStsSession resumes).
      socket.pause();
      settle(undefined);
    });
    socket.once('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_BODY) body += chunk;
      });
      const done = () => {
        req.destroy();
        settle(
          ProviderError.fromStatus(status, `${provider} connect: HTTP ${status}${vendorMessage(body)}`, {
            provider,
          }),
        );
      };
      res.once('end', done);
      res.once('error', done);
      res.once('close', done);
    });
  });
}

/** The vendor's own explanation from an error body (`{"error":{"message"}}` or `{"err_msg"}`). */
function vendorMessage(body: string): string {
  if (!body) return '';
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: unknown } | string;
      err_msg?: unknown;
      message?: unknown;
    };
    const e = parsed.error;
    const text = typeof e === 'string' ? e : (e?.message ?? parsed.err_msg ?? parsed.message);
    return typeof text === 'string' ? `: ${text.slice(0, 300)}` : '';
  } catch {
    return `: ${body.slice(0, 200)}`;
  }
}

import type { OutboundGuard } from '@switchboard/core';
import { ProviderError } from '@switchboard/engine';
import WebSocket from 'ws';
import { connectError, statusWords } from '../util/http-stream.js';

export interface OpenSocketOptions {
  provider: string;
  headers?: Record<string, string>;
  protocols?: string[];
  /** Aborting closes the socket (used by the base's connect time limit). */
  signal: AbortSignal;
  /** Checks the connection (network policy, credential hosts) and pins it to the checked address. */
  outbound?: OutboundGuard | undefined;
}

/**
 * Opens a WebSocket and classifies a refused upgrade once, here: the HTTP status of the upgrade
 * response becomes a ProviderError (401/403 auth and final, 429/5xx retryable), and a network
 * failure becomes `unavailable`. The refusal's body is never quoted: it may repeat the key.
 * The socket comes back paused: whoever takes it attaches listeners, then calls `resume()`.
 */
export function openSocket(url: string, opts: OpenSocketOptions): Promise<WebSocket> {
  const { provider, signal } = opts;
  if (signal.aborted) return Promise.reject(ProviderError.from(signal.reason, provider));
  let checked: { lookup?: ReturnType<OutboundGuard['lookupFor']> };
  try {
    checked = opts.outbound ? opts.outbound.socketOptions(url) : {};
  } catch (e) {
    return Promise.reject(connectError(provider, url, e));
  }
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, opts.protocols ?? [], {
      headers: opts.headers ?? {},
      perMessageDeflate: false,
      ...checked,
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
    const onError = (e: Error) => settle(connectError(provider, url, e));
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
      res.resume();
      const done = () => {
        req.destroy();
        settle(ProviderError.fromStatus(status, `${provider} connect: ${statusWords(status)}`, { provider }));
      };
      res.once('end', done);
      res.once('error', done);
      res.once('close', done);
    });
  });
}

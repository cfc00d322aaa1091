import type { OutboundGuard } from '@switchboard/core';
import { ProviderError } from '@switchboard/engine';
import WebSocket from 'ws';
import { connectError, statusWords } from './http-stream.js';

/**
 * Opens a vendor WebSocket and classifies a refused upgrade once: the handshake's HTTP status goes
 * through `ProviderError.fromStatus` (401/403 final, 429/5xx retryable) and a failure to connect
 * is `unavailable`. The refusal's body is never quoted (it may repeat the key). With `outbound`,
 * the connection is checked (network policy, credential hosts) and goes to the checked address.
 * Aborting `signal` (the base's connect timeout, or the call ending) tears the half-open socket down.
 */
export function openWebSocket(
  provider: string,
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  outbound?: OutboundGuard,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let checked: { lookup?: ReturnType<OutboundGuard['lookupFor']> } = {};
    try {
      checked = outbound ? outbound.socketOptions(url) : {};
    } catch (e) {
      reject(connectError(provider, url, e));
      return;
    }
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, ...checked });
    const settle = (err?: unknown) => {
      signal.removeEventListener('abort', onAbort);
      ws.off('open', onOpen);
      ws.off('error', onError);
      ws.off('unexpected-response', onResponse);
      if (err === undefined) {
        resolve(ws);
        return;
      }
      // Errors after this point belong to no one; the listener keeps them from crashing the process.
      ws.on('error', () => {});
      ws.terminate();
      reject(err);
    };
    const onAbort = () => settle(signal.reason);
    const onOpen = () => settle();
    const onError = (e: Error) => settle(connectError(provider, url, e));
    const onResponse = (_req: unknown, res: import('node:http').IncomingMessage) => {
      const status = res.statusCode ?? 502;
      const done = () =>
        settle(ProviderError.fromStatus(status, `${provider}: ${statusWords(status)}`, { provider }));
      res.resume();
      res.on('end', done);
      res.on('error', done);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    ws.on('open', onOpen);
    ws.on('error', onError);
    ws.on('unexpected-response', onResponse);
  });
}

/** The text of a WebSocket message, whatever shape `ws` delivered it in. */
export function messageText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

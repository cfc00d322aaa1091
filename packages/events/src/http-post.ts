import http from 'node:http';
import https from 'node:https';
import type { OutboundGuard } from '@switchboard/core';

/** One POST and the status it got; the response body is drained, never kept. */
export type HttpPost = (
  url: string,
  init: { headers: Record<string, string>; body: string; timeoutMs: number },
) => Promise<{ status: number }>;

/** An error whose `name` says the request ran out of time (as `AbortSignal.timeout` does). */
class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * POSTs over keep-alive connection pools, one per protocol: a burst of deliveries to one
 * receiver reuses a few warm connections instead of opening one per request. Idle pooled sockets
 * do not keep the process alive. `close()` ends the pools. With `outbound`, each target is checked
 * (network policy) and connections go to the address that was checked.
 */
export function createHttpPost(options: { maxSockets?: number; outbound?: OutboundGuard | undefined } = {}): {
  post: HttpPost;
  close(): void;
} {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64, scheduling: 'lifo' as const };
  const httpAgent = new http.Agent(agentOptions);
  const httpsAgent = new https.Agent(agentOptions);

  const once = (u: URL, init: Parameters<HttpPost>[1]) =>
    new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
      const secure = u.protocol === 'https:';
      if (!secure && u.protocol !== 'http:') return reject(new Error(`unsupported protocol ${u.protocol}`));
      let checked = {};
      try {
        checked = options.outbound ? options.outbound.socketOptions(u) : {};
      } catch (e) {
        return reject(e);
      }
      const req = (secure ? https : http).request(
        u,
        {
          ...checked,
          method: 'POST',
          agent: secure ? httpsAgent : httpAgent,
          headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
        },
        (res) => {
          res.on('error', fail);
          res.on('end', () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket });
          });
          res.resume();
        },
      );
      const timer = setTimeout(
        () => req.destroy(new TimeoutError(`timed out after ${init.timeoutMs} ms`)),
        init.timeoutMs,
      );
      function fail(err: Error & { reused?: boolean }) {
        clearTimeout(timer);
        err.reused = req.reusedSocket;
        reject(err);
      }
      req.on('error', fail);
      req.end(init.body);
    });

  const post: HttpPost = async (url, init) => {
    const u = new URL(url);
    try {
      return await once(u, init);
    } catch (e) {
      // The receiver may close an idle kept-alive connection just as it is reused; sending again on
      // a fresh one is safe (receivers dedupe by event id) and spares a retry with backoff.
      const err = e as Error & { code?: string; reused?: boolean };
      if (err.reused && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) return once(u, init);
      throw e;
    }
  };

  return {
    post,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** Adapts a `fetch` (tests inject one) to `HttpPost`. Redirects are not followed. */
export const postWithFetch =
  (f: typeof fetch): HttpPost =>
  async (url, init) => {
    const res = await f(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      // A redirect would carry the signed body somewhere the owner did not configure.
      redirect: 'manual',
      signal: AbortSignal.timeout(init.timeoutMs),
    });
    // Drain the body so the connection can be reused; its content is never stored.
    await res.arrayBuffer().catch(() => {});
    return { status: res.status };
  };

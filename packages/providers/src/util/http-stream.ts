import { outboundRefusal } from '@switchboard/core';
import { ProviderError } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, Reframer } from '@switchboard/media';

export type FetchLike = typeof fetch;

/**
 * One HTTP request to a vendor, classified at the boundary: a non-2xx status becomes
 * `ProviderError.fromStatus` (401/403 auth and final, 429/5xx retryable) saying the status in our
 * own words, and a failure to connect becomes `unavailable`. The vendor's error body is read and
 * dropped, never quoted: a vendor (or whatever the URL points at) may repeat the key in it, and
 * these messages reach logs and API answers. A request the outbound guard refuses is final
 * (`bad_request`). An abort is rethrown as it is, so the base can tell a cancelled turn from a failure.
 */
export async function vendorFetch(
  provider: string,
  url: string,
  init: RequestInit & { signal: AbortSignal },
  fetchImpl: FetchLike = fetch,
): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, init);
  } catch (e) {
    if (init.signal.aborted) throw init.signal.reason ?? e;
    throw connectError(provider, url, e);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw ProviderError.fromStatus(res.status, `${provider}: ${statusWords(res.status)}`, { provider });
  }
  return res;
}

/** A failure to connect: refused by the outbound guard (final), or the network's (retryable). */
export function connectError(provider: string, url: string, e: unknown): ProviderError {
  const refused = outboundRefusal(e);
  if (refused) {
    return new ProviderError('bad_request', `${provider}: ${refused.message}`, { provider, cause: e });
  }
  return new ProviderError('unavailable', `${provider}: cannot reach ${originOf(url)}: ${causeText(e)}`, {
    provider,
    cause: e,
  });
}

/** What an HTTP status from a vendor means, in our words (its body is never quoted). */
export function statusWords(status: number): string {
  if (status === 401) return 'HTTP 401: the service rejected the credential';
  if (status === 403) return 'HTTP 403: the credential has no access to this resource';
  if (status === 404) return 'HTTP 404: the service does not know this model, voice or path';
  if (status === 408) return 'HTTP 408: the service timed out';
  if (status === 429) return 'HTTP 429: rate limited or out of quota';
  if (status >= 500) return `HTTP ${status}: the service failed`;
  return `HTTP ${status}: the service refused the request`;
}

/** The body's bytes as they arrive; a connection lost mid-body is `unavailable`. */
export async function* bodyBytes(
  provider: string,
  res: Response,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array, void, undefined> {
  if (!res.body) return;
  const reader = res.body.getReader();
  try {
    for (;;) {
      let r: Awaited<ReturnType<typeof reader.read>>;
      try {
        r = await reader.read();
      } catch (e) {
        if (signal.aborted) return;
        throw new ProviderError('unavailable', `${provider}: connection lost mid-stream: ${causeText(e)}`, {
          provider,
          cause: e,
        });
      }
      if (r.done) return;
      if (r.value.byteLength > 0) yield r.value;
    }
  } finally {
    // Cancelling releases the socket when the consumer stops early (barge-in, timeout).
    reader.cancel().catch(() => {});
  }
}

export function causeText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return cause.message;
    return e.message;
  }
  return String(e);
}

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the service';
  }
}

/** Joins a configured base URL and a path without doubling or dropping the slash. */
export const joinUrl = (base: string, path: string): string =>
  `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;

/** Raw audio bytes of one format, as they arrive, cut into 20 ms frames (the tail padded). */
export async function* audioFrames(
  bytes: AsyncIterable<Uint8Array>,
  format: AudioFormat,
): AsyncGenerator<AudioFrame, void, undefined> {
  const reframer = new Reframer(format, 20);
  for await (const chunk of bytes) yield* reframer.push(chunk);
  const tail = reframer.flush();
  if (tail) yield tail;
}

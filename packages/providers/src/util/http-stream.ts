import { ProviderError } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, Reframer } from '@switchboard/media';

export type FetchLike = typeof fetch;

/** How much of a vendor's error body goes into the message: enough to say what is wrong. */
const ERROR_BODY_CHARS = 300;

/**
 * One HTTP request to a vendor, classified at the boundary: a non-2xx status becomes
 * `ProviderError.fromStatus` (401/403 auth and final, 429/5xx retryable) carrying the vendor's own
 * explanation, and a failure to connect becomes `unavailable`. An abort is rethrown as it is, so the
 * base can tell a cancelled turn from a failure.
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
    throw new ProviderError('unavailable', `${provider}: cannot reach ${originOf(url)}: ${causeText(e)}`, {
      provider,
      cause: e,
    });
  }
  if (!res.ok) {
    const detail = await res.text().then(
      (t) => t.slice(0, ERROR_BODY_CHARS),
      () => '',
    );
    throw ProviderError.fromStatus(
      res.status,
      `${provider}: HTTP ${res.status}${detail ? ` ${errorText(detail)}` : ''}`,
      { provider },
    );
  }
  return res;
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

/** The vendor's `error.message` when the body is the usual JSON error, else the raw text. */
function errorText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (j.error && typeof j.error.message === 'string') return j.error.message;
    if (typeof j.message === 'string') return j.message;
  } catch {
    // Not JSON: the text itself is the explanation.
  }
  return body.trim();
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

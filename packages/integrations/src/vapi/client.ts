/**
 * Vapi's REST API (protocols.md §8), the calls the sync needs and nothing more. Transient failures
 * (network, 408, 429, 5xx) are retried with the engine's backoff; every other answer is final.
 * Each request carries the sync's request id so Vapi-side and our logs line up.
 */
import type { Logger } from '@switchboard/core';
import { DEFAULT_RETRY, ProviderError, type RetryPolicy, withRetry } from '@switchboard/engine';
import { systemClock } from '@switchboard/media';

export interface VapiClientOptions {
  baseUrl: string;
  privateKey: string;
  logger: Logger;
  requestId?: string;
  retry?: RetryPolicy;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface VapiAssistant {
  id: string;
  name?: string;
  [key: string]: unknown;
}

/** A Vapi answer we could not use; `status` is the HTTP status, 0 when nothing answered. */
export class VapiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'VapiError';
  }
}

export class VapiClient {
  readonly #o: VapiClientOptions;

  constructor(o: VapiClientOptions) {
    this.#o = o;
  }

  listAssistants(limit = 1): Promise<VapiAssistant[]> {
    return this.request('GET', `/assistant?limit=${limit}`);
  }

  createAssistant(body: Record<string, unknown>): Promise<VapiAssistant> {
    return this.request('POST', '/assistant', body);
  }

  updateAssistant(id: string, body: Record<string, unknown>): Promise<VapiAssistant> {
    return this.request('PATCH', `/assistant/${encodeURIComponent(id)}`, body);
  }

  /** Uploads text as a file (multipart, field `file`), for a knowledge base. */
  uploadFile(name: string, text: string): Promise<{ id: string }> {
    const form = new FormData();
    form.append('file', new Blob([text], { type: 'text/plain' }), name);
    return this.request('POST', '/file', form);
  }

  async deleteFile(id: string): Promise<void> {
    await this.request('DELETE', `/file/${encodeURIComponent(id)}`).catch((e) => {
      if (!(e instanceof VapiError && e.status === 404)) throw e;
    });
  }

  createTool(body: Record<string, unknown>): Promise<{ id: string }> {
    return this.request('POST', '/tool', body);
  }

  updateTool(id: string, body: Record<string, unknown>): Promise<{ id: string }> {
    return this.request('PATCH', `/tool/${encodeURIComponent(id)}`, body);
  }

  async deleteTool(id: string): Promise<void> {
    await this.request('DELETE', `/tool/${encodeURIComponent(id)}`).catch((e) => {
      if (!(e instanceof VapiError && e.status === 404)) throw e;
    });
  }

  importPhoneNumber(body: Record<string, unknown>): Promise<{ id: string }> {
    return this.request('POST', '/phone-number', body);
  }

  updatePhoneNumber(id: string, body: Record<string, unknown>): Promise<{ id: string }> {
    return this.request('PATCH', `/phone-number/${encodeURIComponent(id)}`, body);
  }

  /** Deleting an assistant Vapi no longer has is done already, not an error. */
  async deleteAssistant(id: string): Promise<void> {
    try {
      await this.request('DELETE', `/assistant/${encodeURIComponent(id)}`);
    } catch (e) {
      if (e instanceof VapiError && e.status === 404) return;
      throw e;
    }
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.#o.baseUrl.replace(/\/+$/, '')}${path}`;
    const doFetch = this.#o.fetch ?? fetch;
    const log = this.#o.logger;
    try {
      return await withRetry(
        async (attempt) => {
          const started = Date.now();
          const res = await doFetch(url, {
            method,
            headers: {
              authorization: `Bearer ${this.#o.privateKey}`,
              // FormData sets its own multipart content type with the boundary.
              ...(body !== undefined && !(body instanceof FormData)
                ? { 'content-type': 'application/json' }
                : {}),
              ...(this.#o.requestId ? { 'x-request-id': this.#o.requestId } : {}),
            },
            ...(body !== undefined ? { body: body instanceof FormData ? body : JSON.stringify(body) } : {}),
            signal: AbortSignal.timeout(this.#o.timeoutMs ?? 15_000),
          }).catch((e: Error) => {
            throw new ProviderError(
              e.name === 'TimeoutError' ? 'timeout' : 'unavailable',
              `Vapi is unreachable: ${e.message}`,
              { provider: 'vapi', cause: e },
            );
          });
          const text = await res.text();
          log.debug({ method, path, status: res.status, attempt, ms: Date.now() - started }, 'vapi request');
          if (!res.ok) {
            throw ProviderError.fromStatus(res.status, `Vapi answered ${res.status}: ${vapiMessage(text)}`, {
              provider: 'vapi',
            });
          }
          if (!text) return undefined as T;
          try {
            return JSON.parse(text) as T;
          } catch {
            throw new ProviderError('protocol', `Vapi answered ${res.status} with a body that is not JSON`, {
              provider: 'vapi',
            });
          }
        },
        {
          policy: this.#o.retry ?? DEFAULT_RETRY,
          clock: systemClock,
          provider: 'vapi',
          onRetry: (err, attempt) =>
            log.warn({ method, path, attempt, err: err.message }, 'vapi request retried'),
        },
      );
    } catch (e) {
      const err = ProviderError.from(e, 'vapi');
      throw new VapiError(err.message, statusOf(err));
    }
  }
}

/** The status a classified error came from (ProviderError keeps it only in its kind). */
function statusOf(err: ProviderError): number {
  const m = /^Vapi answered (\d{3})/.exec(err.message);
  return m ? Number(m[1]) : 0;
}

/** Vapi errors look like `{ "message": "…" | ["…"], "error": "Bad Request", "statusCode": 400 }`. */
function vapiMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    if (typeof m === 'string' && m) return m.slice(0, 300);
    if (typeof body.error === 'string') return body.error.slice(0, 300);
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 300) || 'no message';
}

import { DEFAULT_RETRY, ProviderError, type RetryPolicy, withRetry, withTimeout } from '@switchboard/engine';
import { type Clock, systemClock } from '@switchboard/media';
import { type FetchLike, joinUrl, vendorFetch } from '../util/http-stream.js';

export interface OpenAiEmbeddingsOptions {
  /** API root including the version: `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
  /** Omitted for local servers (Ollama, vLLM, llama.cpp) that take no key. */
  apiKey?: string;
  /** The outbound guard's fetch (pinned to the credential's hosts when there is one). */
  fetch?: FetchLike;
  /** Inputs per request; OpenAI takes up to 2048, local servers are happier with fewer. */
  batchSize?: number;
  /** Per request, retries included in none of it. */
  timeoutMs?: number;
  retry?: RetryPolicy;
  clock?: Clock;
}

interface EmbeddingsJson {
  data?: { embedding?: unknown; index?: unknown }[];
}

export const EMBEDDINGS_BATCH = 64;

/**
 * Any OpenAI-compatible `/embeddings` endpoint: `{model, input: [...]}` answered by
 * `{data: [{embedding: [...], index}], model, usage}`. Inputs go in batches; each request is retried
 * on a retryable failure (429, 5xx, a timeout, a refused connection) with the shared backoff.
 * Answers are put back in input order by `index`, and one that does not give exactly one vector of
 * numbers per input, all of one length, is a protocol error.
 */
export class OpenAiEmbeddings {
  readonly name = 'openai-embeddings';
  readonly #o: OpenAiEmbeddingsOptions;

  constructor(opts: OpenAiEmbeddingsOptions) {
    this.#o = opts;
  }

  get model(): string {
    return this.#o.model;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const size = Math.max(1, this.#o.batchSize ?? EMBEDDINGS_BATCH);
    const out: number[][] = [];
    for (let i = 0; i < texts.length; i += size) {
      out.push(...(await this.#batch(texts.slice(i, i + size), signal)));
    }
    const dims = out[0]?.length;
    if (out.some((v) => v.length !== dims)) {
      throw new ProviderError('protocol', `${this.name}: the model answered vectors of different lengths`, {
        provider: this.name,
      });
    }
    return out;
  }

  #batch(input: readonly string[], signal?: AbortSignal): Promise<number[][]> {
    const clock = this.#o.clock ?? systemClock;
    return withRetry(
      async () => {
        const controller = new AbortController();
        const onAbort = () => controller.abort(signal?.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        try {
          return await withTimeout(
            this.#request(input, controller.signal),
            this.#o.timeoutMs ?? 30_000,
            clock,
            `${this.name} request`,
            controller,
          );
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      },
      {
        policy: this.#o.retry ?? DEFAULT_RETRY,
        clock,
        provider: this.name,
        ...(signal ? { signal } : {}),
      },
    );
  }

  async #request(input: readonly string[], signal: AbortSignal): Promise<number[][]> {
    const res = await vendorFetch(
      this.name,
      joinUrl(this.#o.baseUrl, 'embeddings'),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.#o.apiKey ? { authorization: `Bearer ${this.#o.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.#o.model, input }),
        signal,
      },
      this.#o.fetch,
    );
    let json: EmbeddingsJson;
    try {
      json = (await res.json()) as EmbeddingsJson;
    } catch {
      throw this.#protocol('the answer is not JSON');
    }
    const data = Array.isArray(json?.data) ? json.data : undefined;
    if (!data || data.length !== input.length) {
      throw this.#protocol(`expected ${input.length} embeddings, got ${data?.length ?? 'none'}`);
    }
    const out: number[][] = new Array(input.length);
    data.forEach((d, i) => {
      const index = typeof d.index === 'number' ? d.index : i;
      const v = d.embedding;
      if (
        !Array.isArray(v) ||
        v.length === 0 ||
        !v.every((x) => typeof x === 'number' && Number.isFinite(x))
      ) {
        throw this.#protocol('an embedding is not a list of numbers (base64 encoding is not asked for)');
      }
      if (index < 0 || index >= input.length || out[index])
        throw this.#protocol('embedding indexes do not match the inputs');
      out[index] = v as number[];
    });
    return out;
  }

  #protocol(what: string): ProviderError {
    return new ProviderError('protocol', `${this.name}: ${what}`, { provider: this.name });
  }
}

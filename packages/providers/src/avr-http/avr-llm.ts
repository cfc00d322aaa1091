import type { Logger } from '@switchboard/core';
import { LlmBase, type LlmChunk, type LlmRequest, type ProviderBaseOptions } from '@switchboard/engine';
import { bodyBytes, type FetchLike, vendorFetch } from '../util/http-stream.js';
import { jsonObjects } from './json-objects.js';

export interface AvrLlmOptions extends ProviderBaseOptions {
  /** The connector's full URL, e.g. `http://avr-llm-openai:6002/prompt-stream`. */
  url: string;
  /** Sent as `uuid`: the connector keys its tools and logs by it. */
  uuid: string;
  fetch?: FetchLike;
  logger?: Logger;
}

/**
 * An AVR LLM connector (protocols-avr §3.4): `POST {uuid, message, messages}` → a stream of
 * `{"type":"text","content"}` objects with no delimiter. The connector keeps its own system prompt
 * and runs its own tools (their results come back as text), so only the conversation is sent and
 * no tool calls are ever returned. Older connectors wrote bare text; that is accepted as well.
 */
export class AvrLlm extends LlmBase {
  readonly name = 'avr-llm';
  readonly #o: AvrLlmOptions;

  constructor(opts: AvrLlmOptions) {
    super(opts);
    this.#o = opts;
  }

  protected async *stream(req: LlmRequest): AsyncGenerator<LlmChunk, void, undefined> {
    const messages = req.messages.flatMap((m) =>
      m.role === 'user' || (m.role === 'assistant' && m.content)
        ? [{ role: m.role, content: m.content }]
        : [],
    );
    const last = [...messages].reverse().find((m) => m.role === 'user');
    const res = await vendorFetch(
      this.name,
      this.#o.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uuid: this.#o.uuid, message: last?.content ?? '', messages }),
        signal: req.signal,
      },
      this.#o.fetch ?? this.outbound?.fetch,
    );
    const it = bodyBytes(this.name, res, req.signal)[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) {
      yield { type: 'done', finishReason: 'stop' };
      return;
    }
    const rest = { [Symbol.asyncIterator]: () => it };
    const all = (async function* () {
      yield first.value;
      yield* rest;
    })();
    // Connectors label their stream inconsistently, so the first byte decides JSON or bare text.
    if (new TextDecoder().decode(first.value).trimStart().startsWith('{')) {
      for await (const raw of jsonObjects(all)) {
        let obj: { type?: unknown; content?: unknown };
        try {
          obj = JSON.parse(raw) as typeof obj;
        } catch {
          continue;
        }
        if (obj.type === 'text' && typeof obj.content === 'string' && obj.content) {
          yield { type: 'text', text: obj.content };
        }
        // `{"type":"audio"}` objects are for AVR's own player; a cascaded call speaks through its TTS.
      }
    } else {
      const decoder = new TextDecoder();
      for await (const chunk of all) {
        const text = decoder.decode(chunk, { stream: true });
        if (text) yield { type: 'text', text };
      }
    }
    yield { type: 'done', finishReason: 'stop' };
  }
}

import type { Logger } from '@switchboard/core';
import {
  type ChatMessage,
  LlmBase,
  type LlmChunk,
  type LlmRequest,
  type ProviderBaseOptions,
  ProviderError,
} from '@switchboard/engine';
import { bodyBytes, type FetchLike, joinUrl, vendorFetch } from '../util/http-stream.js';
import { sseData } from './sse.js';
import { ToolCallAssembler, type ToolCallFragment } from './tool-call-assembler.js';

export interface OpenAiChatOptions extends ProviderBaseOptions {
  /** API root including the version, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  baseUrl: string;
  model: string;
  /** Omitted for local servers (Ollama, llama.cpp, vLLM) that take no key. */
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  fetch?: FetchLike;
  logger?: Logger;
}

interface ChunkJson {
  choices?: {
    delta?: { content?: string | null; tool_calls?: ToolCallFragment[] };
    finish_reason?: string | null;
  }[];
  error?: { message?: string } | string;
}

/**
 * Any OpenAI-compatible Chat Completions server, streamed (§7.3): text deltas are passed on as they
 * arrive, tool calls are assembled from their fragments and emitted when the choice finishes.
 */
export class OpenAiChatLlm extends LlmBase {
  readonly name = 'openai-compatible';
  readonly #o: OpenAiChatOptions;

  constructor(opts: OpenAiChatOptions) {
    super(opts);
    this.#o = opts;
  }

  /** The request body for `messages` and `tools`, as the wire wants it. */
  requestBody(req: Pick<LlmRequest, 'messages' | 'tools'>): Record<string, unknown> {
    return {
      model: this.#o.model,
      stream: true,
      stream_options: { include_usage: true },
      messages: req.messages.map(toWire),
      ...(req.tools.length > 0
        ? {
            tools: req.tools.map((t) => ({
              type: 'function',
              function: { name: t.name, description: t.description, parameters: t.parameters },
            })),
            tool_choice: 'auto',
          }
        : {}),
      ...(this.#o.temperature !== undefined ? { temperature: this.#o.temperature } : {}),
      ...(this.#o.maxTokens !== undefined ? { max_tokens: this.#o.maxTokens } : {}),
    };
  }

  protected async *stream(req: LlmRequest): AsyncGenerator<LlmChunk, void, undefined> {
    const res = await vendorFetch(
      this.name,
      joinUrl(this.#o.baseUrl, 'chat/completions'),
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          ...(this.#o.apiKey ? { authorization: `Bearer ${this.#o.apiKey}` } : {}),
        },
        body: JSON.stringify(this.requestBody(req)),
        signal: req.signal,
      },
      this.#o.fetch ?? this.outbound?.fetch,
    );
    const tools = new ToolCallAssembler();
    let finishReason: string | undefined;
    for await (const data of sseData(bodyBytes(this.name, res, req.signal))) {
      if (data.trim() === '[DONE]') {
        yield* this.#finish(tools, finishReason);
        return;
      }
      let chunk: ChunkJson;
      try {
        chunk = JSON.parse(data) as ChunkJson;
      } catch {
        throw new ProviderError('protocol', `${this.name}: stream event is not JSON`, {
          provider: this.name,
        });
      }
      if (chunk.error) {
        const message = typeof chunk.error === 'string' ? chunk.error : (chunk.error.message ?? 'error');
        throw new ProviderError('unavailable', `${this.name}: ${message}`, { provider: this.name });
      }
      // Only the first choice is spoken; `n` is never set above one.
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const content = choice.delta?.content;
      if (typeof content === 'string' && content) yield { type: 'text', text: content };
      for (const f of choice.delta?.tool_calls ?? []) tools.add(f);
      if (choice.finish_reason) {
        finishReason = choice.finish_reason;
        // Calls are complete at finish; emitting now lets the tool start before the usage chunk.
        for (const call of tools.take()) yield { type: 'tool-call', call };
      }
    }
    if (finishReason === undefined) {
      throw new ProviderError('unavailable', `${this.name}: stream ended before the reply finished`, {
        provider: this.name,
      });
    }
    // Some servers close without `[DONE]` once the choice has finished.
    yield* this.#finish(tools, finishReason);
  }

  *#finish(tools: ToolCallAssembler, finishReason: string | undefined): Generator<LlmChunk> {
    for (const call of tools.take()) yield { type: 'tool-call', call };
    yield { type: 'done', ...(finishReason ? { finishReason } : {}) };
  }
}

function toWire(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case 'assistant':
      return m.toolCalls?.length
        ? {
            role: 'assistant',
            content: m.content || null,
            tool_calls: m.toolCalls.map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : { role: 'assistant', content: m.content };
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: m.content };
    default:
      return { role: m.role, content: m.content };
  }
}

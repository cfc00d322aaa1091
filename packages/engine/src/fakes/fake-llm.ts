import { LlmBase } from '../providers/llm-base.js';
import type { ProviderBaseOptions } from '../providers/provider-base.js';
import { ProviderError } from '../providers/provider-error.js';
import type { ChatMessage, LlmChunk, LlmRequest } from '../providers/types.js';
import { sleep } from '../util/clock.js';

export interface FakeLlmTurn {
  text?: string;
  toolCalls?: { name: string; args: unknown; id?: string }[];
  /** Throw this after `failAfterTokens` tokens (mid-stream failure). */
  error?: ProviderError;
  failAfterTokens?: number;
}
export type FakeLlmReply = string | FakeLlmTurn;

export interface FakeLlmOptions extends ProviderBaseOptions {
  name?: string;
  /** Replies in order; the last one repeats. A function sees the conversation so far. */
  replies?: FakeLlmReply[] | ((messages: readonly ChatMessage[]) => FakeLlmReply);
  /** Delay before the first token. */
  latencyMs?: number;
  /** Delay between tokens. */
  tokenDelayMs?: number;
  /** Makes `prepare` fail (a provider that cannot connect). */
  failConnect?: ProviderError;
  /** The first N requests fail with this error before producing anything. */
  failRequests?: { count: number; error: ProviderError };
}

/**
 * A scripted language model on the real base class, so retries, time limits and cancellation are
 * exercised exactly as for an adapter. Replies stream word by word.
 */
export class FakeLlm extends LlmBase {
  readonly name: string;
  readonly requests: ChatMessage[][] = [];
  /** The names of the tools offered with each request. */
  readonly toolNames: string[][] = [];
  /** Requests cancelled through their signal before they finished. */
  aborted = 0;
  completed = 0;
  readonly #opts: FakeLlmOptions;
  #next = 0;
  #failures = 0;

  constructor(opts: FakeLlmOptions = {}) {
    super({ retry: { baseDelayMs: 1, maxDelayMs: 5 }, ...opts });
    this.name = opts.name ?? 'fake-llm';
    this.#opts = opts;
  }

  protected override async open(): Promise<void> {
    if (this.#opts.failConnect) throw this.#opts.failConnect;
  }

  #reply(messages: readonly ChatMessage[]): FakeLlmTurn {
    const r = this.#opts.replies;
    let reply: FakeLlmReply;
    if (typeof r === 'function') reply = r(messages);
    else {
      const list = r ?? ['Okay.'];
      reply = list[Math.min(this.#next++, list.length - 1)] ?? 'Okay.';
    }
    return typeof reply === 'string' ? { text: reply } : reply;
  }

  protected async *stream(req: LlmRequest): AsyncGenerator<LlmChunk, void, undefined> {
    const fail = this.#opts.failRequests;
    if (fail && this.#failures < fail.count) {
      this.#failures++;
      throw fail.error;
    }
    this.requests.push([...req.messages]);
    this.toolNames.push(req.tools.map((t) => t.name));
    const turn = this.#reply(req.messages);
    const signal = req.signal;
    try {
      await sleep(this.clock, this.#opts.latencyMs ?? 0, signal);
      const tokens = turn.text?.match(/\S+\s*/g) ?? [];
      let n = 0;
      for (const token of tokens) {
        if (turn.error && n === (turn.failAfterTokens ?? 0)) throw turn.error;
        if (n > 0) await sleep(this.clock, this.#opts.tokenDelayMs ?? 0, signal);
        if (signal.aborted) throw signal.reason;
        n++;
        yield { type: 'text', text: token };
      }
      if (turn.error) throw turn.error;
      let i = 0;
      for (const call of turn.toolCalls ?? []) {
        yield {
          type: 'tool-call',
          call: {
            id: call.id ?? `call_${this.requests.length}_${i++}`,
            name: call.name,
            arguments: JSON.stringify(call.args),
          },
        };
      }
      yield { type: 'done', finishReason: turn.toolCalls?.length ? 'tool_calls' : 'stop' };
      this.completed++;
    } catch (e) {
      if (signal.aborted) {
        this.aborted++;
        return;
      }
      throw e instanceof ProviderError ? e : ProviderError.from(e, this.name);
    }
  }
}

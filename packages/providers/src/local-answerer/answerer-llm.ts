import { randomUUID } from 'node:crypto';
import type { AgentConfig, Logger } from '@switchboard/core';
import {
  keypadDigits,
  LlmBase,
  type LlmChunk,
  type LlmRequest,
  type ProviderBaseOptions,
} from '@switchboard/engine';
import {
  answerFromPassages,
  type FaqEntry,
  FaqMatcher,
  isGoodbye,
  isNo,
  isYes,
  menuChoice,
} from './matcher.js';

export interface AnswererOptions extends ProviderBaseOptions {
  faq?: readonly FaqEntry[];
  fallbackAnswer?: string;
  /** Name of the agent's `end_call` tool; a goodbye calls it when the request offers it. */
  endCallTool?: string;
  /**
   * The agent's goodbye line. When the agent has one the engine speaks it after `end_call`, so the
   * answerer says nothing itself; otherwise it says `farewell` before the tool call.
   */
  goodbyeMessage?: string;
  farewell?: string;
  /** Minimum score for an FAQ entry to answer (see FaqMatcher.best). */
  threshold?: number;
  /**
   * A goodbye heard with a recogniser confidence below this is confirmed before the call ends
   * ("Do you want to end the call?"); a second goodbye or a yes then ends it. Default 0.5.
   */
  confirmEndBelow?: number;
  /**
   * Below this confidence a message is not matched against the FAQ (the caller said something
   * the recogniser could only force into an expected phrase) and gets the fallback answer.
   * Default 0.25.
   */
  answerAbove?: number;
  /** Words per streamed text chunk. */
  chunkWords?: number;
  logger?: Logger;
}

const DEFAULT_FALLBACK = "Sorry, I don't know that. Could you ask another way?";
const DEFAULT_FAREWELL = 'Thank you for calling. Goodbye!';
/** Asked when a goodbye was heard with low confidence; the reply decides (see `answer`). */
export const CONFIRM_END = 'Do you want to end the call? Please say yes or no.';
const NOT_ENDING = 'All right. What else can I help you with?';

/** What the answerer knows about the caller's message besides its words. */
export interface HeardMessage {
  /** The recogniser's confidence (0–1), when it reports one. */
  confidence?: number;
  /** The answerer's own previous reply, to recognise an answer to its confirmation question. */
  previousReply?: string;
  /** Knowledge base passages found for the message, best first. */
  passages?: readonly string[];
}

/**
 * The "LLM" of the offline demo: **a keyword and word-overlap matcher over the agent's FAQ, not a
 * language model.** It reads the caller's last message (and the knowledge passages found for it) and
 * ignores the system prompt.
 *
 * - A goodbye ("bye", "goodbye", "that's all", "hang up") becomes a call to the agent's `end_call`
 *   tool when one is offered, so the engine hangs up gracefully; otherwise a spoken farewell. A
 *   goodbye the recogniser was unsure of is confirmed first: one misheard utterance never ends a
 *   call; a second goodbye, or "yes" to the question, does.
 * - A message heard with very low confidence gets the fallback answer rather than an FAQ entry.
 * - A message that is one digit or one digit word ("2", "two") picks the n-th FAQ entry, counting
 *   from 1, as in a phone menu: pair it with a greeting like "press 1 for opening hours".
 * - Otherwise the FAQ entry with the best score (keyword hits + share of the question's words)
 *   answers if it reaches the threshold; failing that, the sentence of the knowledge base passages
 *   found for the turn that shares most words with the message; else the agent's fallback answer.
 *
 * The answer is streamed in a few chunks of words so the engine's pipeline behaves as with a real
 * model.
 */
export class AnswererLlm extends LlmBase {
  static readonly label = 'Local answerer (keyword matcher over the FAQ, not a language model)';
  readonly name = 'local:answerer';
  readonly #matcher: FaqMatcher;
  readonly #o: AnswererOptions;

  constructor(opts: AnswererOptions = {}) {
    // Matching is instant and cannot fail transiently, so there is nothing to retry.
    super({ ...opts, retry: { maxRetries: 0, ...opts.retry } });
    this.#o = opts;
    this.#matcher = new FaqMatcher(opts.faq ?? []);
  }

  /** Options taken from an agent document: its FAQ, fallback, end_call tool and goodbye line. */
  static optionsFrom(config: AgentConfig): AnswererOptions {
    const endCall = config.tools.find((t) => t.type === 'end_call');
    return {
      faq: config.knowledge.faq,
      fallbackAnswer: config.knowledge.fallbackAnswer,
      ...(endCall ? { endCallTool: endCall.name } : {}),
      ...(config.goodbyeMessage ? { goodbyeMessage: config.goodbyeMessage } : {}),
    };
  }

  /** The reply to one caller message, without streaming (also used by the bench). */
  answer(message: string, heard: HeardMessage = {}): { text: string; endCall: boolean; matched?: number } {
    const end = { text: this.#o.goodbyeMessage ? '' : (this.#o.farewell ?? DEFAULT_FAREWELL), endCall: true };
    const confirming = heard.previousReply === CONFIRM_END;
    const sure = heard.confidence === undefined || heard.confidence >= (this.#o.confirmEndBelow ?? 0.5);
    if (isGoodbye(message)) return sure || confirming ? end : { text: CONFIRM_END, endCall: false };
    if (confirming && isYes(message)) return end;
    if (confirming && isNo(message)) return { text: NOT_ENDING, endCall: false };
    if (heard.confidence !== undefined && heard.confidence < (this.#o.answerAbove ?? 0.25)) {
      return { text: this.#o.fallbackAnswer ?? DEFAULT_FALLBACK, endCall: false };
    }
    const faq = this.#matcher.faq;
    // A keypad entry picks a menu item by its digit ("1" or "1#"); other entries match nothing.
    const keys = keypadDigits(message);
    const choice = keys !== undefined ? menuChoice(keys.replace(/[#*]$/, '')) : menuChoice(message);
    if (choice !== undefined && faq[choice]) {
      return { text: faq[choice].answer, endCall: false, matched: choice };
    }
    const best = keys === undefined ? this.#matcher.best(message, this.#o.threshold ?? 0.5) : undefined;
    if (best) return { text: (faq[best.index] as FaqEntry).answer, endCall: false, matched: best.index };
    const fromKnowledge = keys === undefined ? answerFromPassages(message, heard.passages ?? []) : undefined;
    if (fromKnowledge) return { text: fromKnowledge, endCall: false };
    return { text: this.#o.fallbackAnswer ?? DEFAULT_FALLBACK, endCall: false };
  }

  protected async *stream(req: LlmRequest): AsyncGenerator<LlmChunk, void, undefined> {
    const turns = req.messages.filter((m) => m.role !== 'system');
    const last = turns.at(-1);
    // After a tool round (the end_call result) there is nothing left to say.
    if (last?.role !== 'user') {
      yield { type: 'done', finishReason: 'stop' };
      return;
    }
    const before = turns.at(-2);
    // Passages the engine found for this turn ride on a system message (see contextMessage).
    const passages = req.messages.flatMap((m) =>
      m.role === 'system' && m.passages ? m.passages.map((p) => p.text) : [],
    );
    const reply = this.answer(last.content, {
      ...(last.confidence !== undefined ? { confidence: last.confidence } : {}),
      ...(before?.role === 'assistant' ? { previousReply: before.content.trim() } : {}),
      ...(passages.length > 0 ? { passages } : {}),
    });
    const toolName = this.#o.endCallTool ?? 'end_call';
    const canHangUp = reply.endCall && req.tools.some((t) => t.name === toolName);
    // Without an end_call tool a goodbye is only words; the agent's own line (if any) or ours.
    const text =
      reply.endCall && !canHangUp
        ? (this.#o.goodbyeMessage ?? this.#o.farewell ?? DEFAULT_FAREWELL)
        : reply.text;
    this.#o.logger?.debug(
      { matched: reply.matched, endCall: canHangUp },
      reply.matched !== undefined
        ? 'answerer matched an FAQ entry'
        : passages.length > 0
          ? 'answerer had no FAQ match; knowledge passages offered'
          : 'answerer had no FAQ match',
    );
    for (const chunk of chunks(text, this.#o.chunkWords ?? 4)) {
      if (req.signal.aborted) return;
      yield { type: 'text', text: chunk };
      // Yield to the event loop so a barge-in can abort between chunks, as with a network model.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (req.signal.aborted) return;
    if (canHangUp) {
      yield { type: 'tool-call', call: { id: `call_${randomUUID()}`, name: toolName, arguments: '{}' } };
      yield { type: 'done', finishReason: 'tool_calls' };
      return;
    }
    yield { type: 'done', finishReason: 'stop' };
  }
}

/** `text` cut into pieces of `n` words; joined back they equal the input. */
export function chunks(text: string, n: number): string[] {
  const parts = text.match(/\S+\s*/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < parts.length; i += n) out.push(parts.slice(i, i + n).join(''));
  return out;
}

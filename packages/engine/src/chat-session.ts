import {
  type AgentSnapshot,
  type Logger,
  renderTemplate,
  silentLogger,
  type TranscriptEntry,
} from '@switchboard/core';
import {
  agentInstructions,
  type KnowledgeRetriever,
  type KnowledgeSource,
  knowledgeFor,
} from './knowledge/knowledge.js';
import { connectFirst, type ProviderFactory } from './providers/provider-factory.js';
import type { ChatMessage, LlmProvider } from './providers/types.js';
import { replyRounds } from './session/reply-rounds.js';
import { type BuiltinTool, type ToolEffect, ToolRunner } from './tools/tool-runner.js';
import { type Clock, systemClock } from './util/clock.js';

export interface ChatSessionOptions {
  snapshot: AgentSnapshot;
  providers: ProviderFactory;
  variables?: Record<string, string>;
  /** Id used in tool requests; defaults to a chat-specific one. */
  callId?: string;
  clock?: Clock;
  logger?: Logger;
  resolveSecret?: (credentialId: string) => Promise<string | undefined>;
  signingSecret?: string;
  fetch?: typeof fetch;
  /** Searches the agent's knowledge bases (the `knowledge_search` tool and per-turn context). */
  knowledge?: KnowledgeSource;
  /** Tools the platform offers beside the agent's own (the home tools). */
  platformTools?: readonly BuiltinTool[];
}

export interface ChatToolCall {
  name: string;
  args: unknown;
  result: unknown;
  ok: boolean;
}

export interface ChatReply {
  text: string;
  toolCalls: ChatToolCall[];
  /** The agent ended the conversation (end_call, or a transfer it cannot do in text). */
  ended: boolean;
  effect?: ToolEffect;
}

/**
 * Text mode: the agent's model and tools driven by typed turns, with no audio. Keypresses are only
 * simulated and a transfer ends the chat. Used to try an agent from the API or the command line.
 */
export class ChatSession {
  readonly #llm: LlmProvider;
  readonly #tools: ToolRunner;
  readonly #history: ChatMessage[];
  readonly #transcript: TranscriptEntry[] = [];
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #retriever: KnowledgeRetriever | undefined;
  readonly greeting: string | undefined;
  readonly llmRef: string;
  #ended = false;

  private constructor(opts: ChatSessionOptions, llm: LlmProvider, llmRef: string) {
    const config = opts.snapshot.config;
    const vars = { ...config.variables, ...opts.variables };
    this.#llm = llm;
    this.llmRef = llmRef;
    this.#clock = opts.clock ?? systemClock;
    this.#startedAt = this.#clock.now();
    const knowledge = knowledgeFor(config.knowledge, opts.knowledge, opts.logger ?? silentLogger());
    this.#retriever = knowledge.retriever;
    this.#tools = new ToolRunner(config.tools, {
      callId: opts.callId ?? `chat-${opts.snapshot.agentId}`,
      clock: this.#clock,
      logger: opts.logger ?? silentLogger(),
      ...(opts.resolveSecret ? { resolveSecret: opts.resolveSecret } : {}),
      ...(opts.signingSecret ? { signingSecret: opts.signingSecret } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      builtins: [...knowledge.tools, ...(opts.platformTools ?? [])],
    });
    const prompt = agentInstructions(renderTemplate(config.systemPrompt, vars), config.knowledge);
    this.#history = [{ role: 'system', content: prompt }];
    this.greeting = config.greeting ? renderTemplate(config.greeting, vars) : undefined;
    if (this.greeting) {
      this.#history.push({ role: 'assistant', content: this.greeting });
      this.#add('agent', this.greeting);
    }
  }

  /** Connects the agent's model, walking its fallback chain. */
  static async create(opts: ChatSessionOptions, signal = new AbortController().signal): Promise<ChatSession> {
    const config = opts.snapshot.config;
    const logger = opts.logger ?? silentLogger();
    const ctx = {
      callId: opts.callId ?? `chat-${opts.snapshot.agentId}`,
      workspaceId: opts.snapshot.workspaceId,
      agentId: opts.snapshot.agentId,
      language: config.language,
      logger,
    };
    const { ref, value } = await connectFirst(
      'llm',
      config.providers.llm ?? [],
      async (r) => {
        const llm = await opts.providers.llm(r, ctx);
        await llm.prepare(signal);
        return llm;
      },
      logger,
      signal,
    );
    return new ChatSession(opts, value, ref);
  }

  get ended(): boolean {
    return this.#ended;
  }

  get transcript(): TranscriptEntry[] {
    return this.#transcript.map((e) => ({ ...e }));
  }

  /** Sends one user message; resolves with the agent's whole reply. */
  async send(text: string, signal = new AbortController().signal): Promise<ChatReply> {
    if (this.#ended) return { text: '', toolCalls: [], ended: true };
    this.#add('caller', text);
    this.#history.push({ role: 'user', content: text });
    let reply = '';
    const toolCalls: ChatToolCall[] = [];
    const context = await this.#retriever?.contextFor(text, signal);
    const effect = await replyRounds(this.#llm, this.#tools, this.#history, signal, {
      ...(context ? { context } : {}),
      onText: (delta) => {
        reply += delta;
      },
      onToolOutcome: (o) => {
        toolCalls.push({ name: o.call.name, args: o.args, result: o.result, ok: o.ok });
        this.#add('tool', JSON.stringify({ args: o.args, result: o.result }), o.call.name);
      },
    });
    reply = reply.trim();
    this.#add('agent', reply);
    if (effect) this.#ended = true;
    return { text: reply, toolCalls, ended: this.#ended, ...(effect ? { effect } : {}) };
  }

  async close(): Promise<void> {
    this.#ended = true;
    await this.#llm.close();
  }

  #add(role: TranscriptEntry['role'], text: string, toolName?: string): void {
    if (!text) return;
    const at = Math.round(this.#clock.now() - this.#startedAt);
    this.#transcript.push({ role, text, startMs: at, ...(toolName ? { toolName } : {}) });
  }
}

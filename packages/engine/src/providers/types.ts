import type { Logger } from '@switchboard/core';
import type { AudioFormat, AudioFrame } from '@switchboard/media';
import type { KnowledgePassage } from '../knowledge/knowledge.js';
import type { ProviderKind } from './provider-error.js';

/** What a provider instance knows about the call it serves. */
export interface ProviderContext {
  callId: string;
  workspaceId: string;
  agentId: string;
  language: string;
  voice?: string;
  logger: Logger;
}

/** A timing mark from a provider base, in ms since the request or connect began. */
export interface ProviderMark {
  provider: string;
  kind: ProviderKind;
  mark: 'connect' | 'first-result' | 'first-token' | 'first-audio' | 'retry' | 'error';
  ms: number;
}
export type ProviderMetricsSink = (mark: ProviderMark) => void;

// ---- LLM ----------------------------------------------------------------------------------

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the model wrote them (may be invalid). */
  arguments: string;
}

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON schema of type object. */
  parameters: Record<string, unknown>;
}

export type ChatMessage =
  | {
      role: 'system';
      content: string;
      /**
       * Knowledge base passages this message carries as text, for a model that reads them directly
       * (the local answerer). Wire formats send only `content`.
       */
      passages?: KnowledgePassage[];
    }
  | {
      role: 'user';
      content: string;
      /**
       * The recogniser's confidence in a spoken message (0–1; the lowest of its utterances), when
       * it reports one. Wire formats leave it out; a local model can ask before acting on a shaky
       * transcript (the answerer confirms a low-confidence goodbye before hanging up).
       */
      confidence?: number;
    }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] }
  | { role: 'tool'; toolCallId: string; name: string; content: string };

export type LlmChunk =
  | { type: 'text'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'done'; finishReason?: string };

export interface LlmRequest {
  messages: readonly ChatMessage[];
  tools: readonly ToolDefinition[];
  signal: AbortSignal;
}

export interface LlmProvider {
  readonly name: string;
  /** Checks credentials / opens a connection before the first turn; throws when it cannot. */
  prepare(signal: AbortSignal): Promise<void>;
  /** Streams the reply; aborting `signal` cancels the request and ends the stream. */
  chat(req: LlmRequest): AsyncIterable<LlmChunk>;
  close(): Promise<void>;
}

// ---- TTS ----------------------------------------------------------------------------------

export interface TtsRequest {
  /** A whole utterance, or text arriving as the model writes it. */
  text: string | AsyncIterable<string>;
  /** The call's output format; the base converts whatever the adapter produces to this. */
  format: AudioFormat;
  signal: AbortSignal;
}

export interface TtsProvider {
  readonly name: string;
  prepare(signal: AbortSignal): Promise<void>;
  synthesize(req: TtsRequest): AsyncIterable<AudioFrame>;
  close(): Promise<void>;
}

// ---- ASR ----------------------------------------------------------------------------------

export type AsrEvent =
  | { type: 'partial'; text: string }
  | { type: 'final'; text: string; confidence?: number }
  | { type: 'speech-start' }
  | { type: 'speech-end' };

export interface AsrOptions {
  /** The call's input format; frames pushed are in it. */
  format: AudioFormat;
  language: string;
  /** Phrases the caller is expected to say (grammar hints). */
  phrases: readonly string[];
  signal: AbortSignal;
}

export interface AsrStream {
  push(frame: AudioFrame): void;
  /** Ends when the stream closes; throws a ProviderError when it fails. */
  readonly events: AsyncIterable<AsrEvent>;
  close(): Promise<void>;
}

export interface AsrProvider {
  readonly name: string;
  connect(opts: AsrOptions): Promise<AsrStream>;
}

// ---- Speech to speech ---------------------------------------------------------------------

export type StsEvent =
  | { type: 'audio'; frame: AudioFrame }
  | { type: 'transcript'; role: 'caller' | 'agent'; text: string; final: boolean }
  /** Caller speech as the provider's own turn detection saw it. */
  | { type: 'speech-start' }
  | { type: 'speech-end' }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'response-start' }
  | { type: 'response-done' };

export interface StsOptions {
  inputFormat: AudioFormat;
  outputFormat: AudioFormat;
  instructions: string;
  tools: readonly ToolDefinition[];
  voice?: string;
  language: string;
  endOfTurnSilenceMs: number;
  signal: AbortSignal;
}

export interface StsSession {
  push(frame: AudioFrame): void;
  readonly events: AsyncIterable<StsEvent>;
  /** Speaks `text` as is (greeting, goodbye, apology). */
  say(text: string): void;
  sendToolResult(callId: string, output: string): void;
  /**
   * Adds a caller message as text (a keypad entry) and has the model answer it. Providers whose
   * protocol has no text input leave it out.
   */
  sendText?(text: string): void;
  /**
   * Adds a system message to the conversation without asking for a response: the model reads it
   * on its next turn. Providers whose protocol has no such message leave it out.
   */
  addContext?(text: string): void;
  /** The caller barged in after hearing `heardMs` of the current response. */
  interrupt(heardMs: number): void;
  close(): Promise<void>;
}

export interface StsProvider {
  readonly name: string;
  connect(opts: StsOptions): Promise<StsSession>;
}

import type { AgentConfig, ControlSource, EndedReason, Logger } from '@switchboard/core';
import type { AudioFormat, AudioFrame } from '@switchboard/media';
import type { CallLeg } from '../call-leg.js';
import type { ProviderError } from '../providers/provider-error.js';
import type { ToolOutcome, ToolRunner } from '../tools/tool-runner.js';
import type { TimerScope } from '../util/clock.js';
import type { LatencyMeter } from './latency-meter.js';
import type { OutputPlayer } from './output-player.js';
import type { SessionEvents } from './session-events.js';
import type { Transcript } from './transcript.js';
import type { WarmTransferRequest, WarmTransferResult } from './warm-transfer.js';

export interface EndRequest {
  reason: EndedReason;
  /** Hang the leg up (false when the far end already did, or after a transfer). */
  hangup: boolean;
}

/**
 * What a pipeline may use of the session: the shared helpers and the two ways out — ending the
 * call and reporting a provider failure. Built by CallSession; pipelines never see the leg's events.
 */
export interface SessionCore {
  readonly leg: CallLeg;
  readonly config: AgentConfig;
  readonly timers: TimerScope;
  readonly logger: Logger;
  readonly events: SessionEvents;
  readonly transcript: Transcript;
  readonly latency: LatencyMeter;
  readonly player: OutputPlayer;
  readonly tools: ToolRunner;
  /** Aborted when the call ends. */
  readonly signal: AbortSignal;
  /** Milliseconds since the call started. */
  since(): number;
  /** The agent turn now speaking, for the first-audio mark. */
  setActiveTurn(turn: number | undefined): void;
  recordTool(outcome: ToolOutcome): void;
  end(request: EndRequest): void;
  /** Runs a warm transfer (see warm-transfer.ts); throws when the connector has none. */
  warmTransfer(request: WarmTransferRequest): Promise<WarmTransferResult>;
  /** Reports a cold transfer the carrier accepted. */
  transferred(target: string, by: ControlSource): void;
  providerFailed(error: ProviderError): void;
}

/** A way of running the conversation: cascaded (ASR → LLM → TTS) or speech to speech. */
export interface Pipeline {
  /** Starts listening and speaks the greeting. */
  start(): void;
  callerAudio(frame: AudioFrame): void;
  callerSpeech(event: 'speech-start' | 'speech-end'): void;
  /** A keypad entry from the caller (digits in order), to be answered like something said. */
  callerKeys(digits: string): void;
  /**
   * Speaks `text` as the agent. Queued, it follows what the agent is saying; with `interrupt`, what
   * the agent is saying stops (reported like a barge-in) and `text` is spoken next.
   */
  say(text: string, interrupt: boolean): void;
  /**
   * Adds a system message to the conversation for the model's next turn. Throws when the provider
   * has no way to take one mid-call.
   */
  addContext(text: string): void;
  /** Stops whatever the agent is saying (no barge-in report). */
  stopSpeaking(): void;
  /**
   * Speaks a last line that is not interruptible and resolves once it has played, or after
   * `capMs`, or at once when nothing can speak.
   */
  sayFinal(text: string, capMs: number): Promise<void>;
  /**
   * A short summary of the conversation so far, written by the agent's model, for the person a
   * warm transfer hands the caller to. Absent where the model cannot be asked aside.
   */
  summarize?(signal: AbortSignal): Promise<string>;
  /** The agent's voice saying `text` in `format`, outside the conversation (a warm transfer). */
  synthesize?(text: string, format: AudioFormat, signal: AbortSignal): AsyncIterable<AudioFrame>;
  close(): Promise<void>;
}

/** Feeds a tool outcome into the event stream and the transcript. */
export function reportTool(core: Pick<SessionCore, 'events' | 'transcript' | 'since'>, o: ToolOutcome): void {
  core.events.send('tool.called', {
    name: o.call.name,
    args: o.args,
    result: o.result,
    ok: o.ok,
    durationMs: o.durationMs,
  });
  const at = core.since();
  core.transcript.add({
    role: 'tool',
    toolName: o.call.name,
    text: JSON.stringify({ args: o.args, result: o.result }),
    startMs: Math.max(0, Math.round(at - o.durationMs)),
    endMs: Math.round(at),
  });
}

/**
 * The one catalogue of call events. The store, the outbox, MQTT, metrics and the live view all
 * subscribe to the same stream of these.
 */
export const CALL_EVENT_TYPES = [
  'call.started',
  'call.ringing',
  'call.answered',
  'transcript.partial',
  'transcript.final',
  'agent.interrupted',
  'tool.called',
  'dtmf.received',
  /** A turn's timing marks, once its first audio reached the carrier (live view only). */
  'turn.latency',
  /** The recording was paused (silence is recorded from here) or resumed. */
  'recording.paused',
  'recording.resumed',
  /** A system message was added to the conversation from outside, for the model's next turn. */
  'context.injected',
  /** A transfer's progress: attempted, answered, failed, bridged (warm) or handed off (cold). */
  'transfer.status',
  'call.ended',
  'call.analyzed',
] as const;

export type CallEventType = (typeof CALL_EVENT_TYPES)[number];

export const CALL_STATUSES = ['queued', 'ringing', 'in-progress', 'ended'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const CALL_OUTCOMES = [
  'completed',
  'busy',
  'no-answer',
  'failed',
  'voicemail',
  'cancelled',
  /** A warm transfer bridged the caller to a person; the agent left the call. */
  'transferred',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/** Why a call ended: a fixed vocabulary, so reports and retries can rely on it. */
export const ENDED_REASONS = [
  /** The party that placed the call hung up: the caller of an inbound call. */
  'caller-hangup',
  /** The party that was called hung up: the callee of an outbound call. */
  'callee-hangup',
  'agent-ended',
  /** Hung up over the API (`POST /v1/calls/{id}/hangup`). */
  'api-hangup',
  'max-duration',
  'silence-timeout',
  'transfer',
  'provider-error',
  'connector-error',
  'busy',
  'no-answer',
  'rejected',
  /** An answering machine or fax picked up an outbound call (the outcome is voicemail). */
  'machine-detected',
  'cancelled',
  'failed',
  /** The process stopped (SIGTERM) and the call outlasted the drain grace. */
  'shutdown',
  /** The process running the call died: its heartbeat went stale and another process ended it. */
  'lost',
] as const;
export type EndedReason = (typeof ENDED_REASONS)[number];

export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/**
 * The reason for a call the far end hung up: the far end is the caller of an inbound call and the
 * callee of an outbound one.
 */
export const farEndHangup = (direction: CallDirection): EndedReason =>
  direction === 'outbound' ? 'callee-hangup' : 'caller-hangup';

/** Who asked for a change during a call: the REST API or the agent's own built-in tool. */
export type ControlSource = 'api' | 'tool';

/** Where a recording was paused or resumed: on the call's clock and in the recording file. */
export interface RecordingMark {
  by: ControlSource;
  /** Milliseconds from call start. */
  atMs: number;
  /** Milliseconds from the start of the recording file (which begins once the call is set up). */
  recordingMs: number;
}

export type TransferMode = 'cold' | 'warm';

/** Where a transfer stands; `failed` carries why (the call goes on with the agent). */
export interface TransferStatus {
  status: 'attempted' | 'answered' | 'failed' | 'bridged' | 'handed-off';
  mode: TransferMode;
  target: string;
  by: ControlSource;
  /** Milliseconds from call start. */
  atMs: number;
  /** Why a transfer failed: busy, no-answer, rejected, failed, unsupported, or the caller left. */
  reason?: string;
}

export interface CallEventBase<T extends CallEventType, D> {
  type: T;
  callId: string;
  workspaceId: string;
  /** Milliseconds since the epoch. */
  at: number;
  data: D;
}

export interface TranscriptEntry {
  role: 'caller' | 'agent' | 'tool';
  text: string;
  /** Milliseconds from call start. */
  startMs: number;
  endMs?: number;
  /** Set when the agent was interrupted: the text is what the caller actually heard. */
  interrupted?: boolean;
  toolName?: string;
}

export interface TurnLatency {
  turn: number;
  callerStoppedMs?: number;
  asrFinalMs?: number;
  llmFirstTokenMs?: number;
  ttsFirstAudioMs?: number;
  firstAudioSentMs?: number;
}

export type CallEvent =
  | CallEventBase<
      'call.started',
      {
        direction: CallDirection;
        from: string;
        to: string;
        agentId: string;
        agentVersion: number;
        connector: string;
        /**
         * The call runs on another platform (Vapi) that reports it: no process here owns it, so no
         * heartbeat is expected and it is never ended as lost.
         */
        remote?: boolean;
      }
    >
  | CallEventBase<'call.ringing', Record<string, never>>
  | CallEventBase<'call.answered', Record<string, never>>
  | CallEventBase<'transcript.partial', { role: 'caller' | 'agent'; text: string }>
  | CallEventBase<'transcript.final', TranscriptEntry>
  | CallEventBase<'agent.interrupted', { heardText: string; droppedText: string }>
  | CallEventBase<
      'tool.called',
      { name: string; args: unknown; result: unknown; ok: boolean; durationMs: number }
    >
  | CallEventBase<'dtmf.received', { digit: string }>
  | CallEventBase<'turn.latency', TurnLatency>
  | CallEventBase<'recording.paused', RecordingMark>
  | CallEventBase<'recording.resumed', RecordingMark & { pausedMs: number }>
  | CallEventBase<'context.injected', { message: string; atMs: number }>
  | CallEventBase<'transfer.status', TransferStatus>
  | CallEventBase<
      'call.ended',
      {
        outcome: CallOutcome;
        endedReason: EndedReason;
        durationMs: number;
        transcript: TranscriptEntry[];
        latencies: TurnLatency[];
        /** Which provider reference served each kind (the first of a fallback chain that connected). */
        providers?: Partial<Record<'sts' | 'asr' | 'llm' | 'tts', string>>;
        recordingPath?: string;
        /** A recording kept where the call ran (Vapi), linked as it is. */
        recordingUrl?: string;
        /** Why a failed call failed, naming the provider and what is missing (e.g. a binary or key). */
        error?: string;
      }
    >
  | CallEventBase<'call.analyzed', CallAnalysis>;

/**
 * The result of post-call analysis. Fields the model could not fill (or filled with the wrong
 * type) are null; when analysis failed for good, `error` says why and the fields are empty.
 */
export interface CallAnalysis {
  summary?: string;
  fields: Record<string, string | number | boolean | null>;
  /** The LLM reference that produced it. */
  provider?: string;
  error?: string;
}

export type CallEventOf<T extends CallEventType> = Extract<CallEvent, { type: T }>;

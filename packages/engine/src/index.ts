export {
  ANALYSIS_TOOL,
  analysisMessages,
  analysisTool,
  analyzeCall,
  analyzeTranscript,
  type CallAnalysisRequest,
  coerceAnalysis,
  transcriptText,
} from './analysis/analyze-call.js';
export {
  type CallLeg,
  type CallLegEvents,
  ConsultFailed,
  type ConsultFailureReason,
  type ConsultLeg,
  type ConsultOptions,
  type MachineVerdict,
} from './call-leg.js';
export { type ChatReply, ChatSession, type ChatSessionOptions } from './chat-session.js';
export { FakeAsr, type FakeAsrOptions, FakeAsrStream } from './fakes/fake-asr.js';
export { isSilentFrame, silentFrame, speechFrame } from './fakes/fake-audio.js';
export {
  FakeCallLeg,
  type FakeCallLegOptions,
  FakeConsultLeg,
  type FakeLegAction,
} from './fakes/fake-call-leg.js';
export { FakeLlm, type FakeLlmOptions, type FakeLlmReply, type FakeLlmTurn } from './fakes/fake-llm.js';
export { FakeProviderFactory, type FakeProviders } from './fakes/fake-provider-factory.js';
export { FakeSts, type FakeStsOptions, type FakeStsReply, FakeStsSession } from './fakes/fake-sts.js';
export { FakeTts, type FakeTtsOptions } from './fakes/fake-tts.js';
export { FakeVad, fakeVadFactory } from './fakes/fake-vad.js';
export { flush, type HarnessOptions, SessionHarness, snapshotOf } from './fakes/session-harness.js';
export {
  agentInstructions,
  citation,
  contextMessage,
  type KnowledgePassage,
  KnowledgeRetriever,
  type KnowledgeSource,
  knowledgeFor,
  knowledgeSearchDefinition,
  knowledgeSearchTool,
} from './knowledge/knowledge.js';
export { AsrBase } from './providers/asr-base.js';
export { pickFormat } from './providers/format-pick.js';
export { LlmBase } from './providers/llm-base.js';
export { ProviderBase, type ProviderBaseOptions } from './providers/provider-base.js';
export {
  isProviderError,
  ProviderError,
  type ProviderErrorKind,
  type ProviderKind,
} from './providers/provider-error.js';
export {
  type ChainResult,
  connectFirst,
  type ProviderFactory,
  type ServedProviders,
} from './providers/provider-factory.js';
export { backoffMs, DEFAULT_RETRY, type RetryPolicy, withRetry, withTimeout } from './providers/retry.js';
export { StsBase } from './providers/sts-base.js';
export { TtsBase } from './providers/tts-base.js';
export type * from './providers/types.js';
export { type CallResult, CallSession, type CallSessionOptions } from './session/call-session.js';
export { KeypadCollector, keypadDigits, keypadText } from './session/keypad.js';
export type { LiveControls, RecordingState } from './session/live-controls.js';
export type { RecordingInfo } from './session/recorder.js';
export { defaultVadFactory, type SessionVad, type VadFactory } from './session/vad.js';
export { SpeakableChunker } from './text/speakable-chunker.js';
export { callHttpTool, SIGNATURE_HEADER, signBody } from './tools/http-tool.js';
export { checkArguments } from './tools/json-schema.js';
export {
  type BuiltinTool,
  type ToolEffect,
  type ToolOutcome,
  ToolRunner,
  toolDefinition,
} from './tools/tool-runner.js';
export { Channel } from './util/channel.js';
export { sleep, TimerScope } from './util/clock.js';

export { AvrAsr, type AvrAsrOptions } from './avr-http/avr-asr.js';
export { AvrLlm, type AvrLlmOptions } from './avr-http/avr-llm.js';
export { AvrTts, type AvrTtsOptions } from './avr-http/avr-tts.js';
export { AvrSts, type AvrStsOptions } from './avr-sts/avr-sts.js';
export { registerCascadedProviders } from './cascaded-providers.js';
export type { DeepgramAgentSettings } from './deepgram-agent/agent-settings.js';
export { DeepgramAgent, type DeepgramAgentOptions } from './deepgram-agent/deepgram-agent.js';
export { DeepgramAsr, type DeepgramAsrOptions } from './deepgram-asr/deepgram-asr.js';
export { type DeepgramAuraOptions, DeepgramAuraTts } from './deepgram-aura/deepgram-aura-tts.js';
export { ElevenLabsTts, type ElevenLabsTtsOptions } from './elevenlabs-tts/elevenlabs-tts.js';
export { createProviderFactory, type ProviderFactoryOptions, type ResolvedProvider } from './factory.js';
export { AnswererLlm, type AnswererOptions } from './local-answerer/answerer-llm.js';
export { type FaqEntry, FaqMatcher, isGoodbye, menuChoice } from './local-answerer/matcher.js';
export { ESPEAK_SAMPLE_RATE, espeakEngine } from './local-espeak/espeak-engine.js';
export { type EspeakStats, EspeakTts, type EspeakTtsOptions } from './local-espeak/espeak-tts.js';
export { FLITE_VOICES, FliteTts, type FliteTtsOptions } from './local-flite/flite-tts.js';
export { buildJsgf, type JsgfResult, normalizePhrase } from './local-pocketsphinx/jsgf.js';
export {
  COMMON_PHRASES,
  PocketsphinxAsr,
  type PocketsphinxOptions,
} from './local-pocketsphinx/pocketsphinx-asr.js';
export { registerLocalProviders } from './local-providers.js';
export {
  type CompiledGrammar,
  compileGrammar,
  DecoderPool,
  type DecoderPoolOptions,
  type DecoderPoolStats,
} from './local-soundswallower/decoder-pool.js';
export { type SoundSwallowerRuntime, soundSwallowerRuntime } from './local-soundswallower/runtime.js';
export {
  SoundSwallowerAsr,
  type SoundSwallowerOptions,
  sharedDecoderPool,
} from './local-soundswallower/soundswallower-asr.js';
export {
  agentModelUses,
  MODEL_CATALOGUE,
  MODEL_IDS,
  type ModelSpec,
  type ModelUse,
  modelSpec,
  modelsNeeded,
  type NeededModel,
} from './models/catalogue.js';
export { type LocatedModel, ModelLocator, packagedModels } from './models/locator.js';
export { MANIFEST_FILE, type Manifest, readManifest } from './models/manifest.js';
export {
  checkModels,
  exportModels,
  type ImportResult,
  importModels,
  type ModelCheck,
  type PrepareResult,
  prepareModels,
} from './models/models-dir.js';
export { type ModelReadiness, missingModelsSummary, modelReadiness } from './models/readiness.js';
export { localVadFactory } from './models/vad.js';
export { OpenAiChatLlm, type OpenAiChatOptions } from './openai-chat/openai-chat-llm.js';
export {
  createEmbedderFactory,
  EMBEDDING_PROVIDER_TYPES,
  type EmbedderFor,
  isEmbeddingProvider,
} from './openai-embeddings/embedder-factory.js';
export {
  conceptEmbedding,
  type FakeEmbeddingsOptions,
  fakeEmbeddingsServer,
} from './openai-embeddings/fake-embeddings.js';
export {
  EMBEDDINGS_BATCH,
  OpenAiEmbeddings,
  type OpenAiEmbeddingsOptions,
} from './openai-embeddings/openai-embeddings.js';
export { OpenAiRealtime, type OpenAiRealtimeOptions } from './openai-realtime/openai-realtime.js';
export type { RealtimeSettings } from './openai-realtime/session-config.js';
export { OpenAiTts, type OpenAiTtsOptions } from './openai-tts/openai-tts.js';
export {
  createProviderTester,
  type ProviderTestCode,
  type ProviderTestOptions,
  type ProviderTestResult,
  testProvider,
} from './provider-test/provider-test.js';
export { type BuildArgs, type ProviderBuilder, type ProviderByKind, ProviderRegistry } from './registry.js';
export {
  CMUDICT_PATH,
  type LocalComponentStatus,
  type LocalStackStatus,
  localStackStatus,
} from './status.js';
export { registerStsProviders } from './sts-providers.js';
export { aptInstallCommand, findBinary } from './util/binaries.js';
export { FakePeer, FakeWsServer, type FakeWsServerOptions, loadFixture } from './ws/fake-ws-server.js';
export { WyomingAsr, type WyomingAsrOptions } from './wyoming/wyoming-asr.js';
export { WyomingTts, type WyomingTtsOptions } from './wyoming/wyoming-tts.js';

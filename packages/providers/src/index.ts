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
export { type BuildArgs, type ProviderBuilder, type ProviderByKind, ProviderRegistry } from './registry.js';
export {
  CMUDICT_PATH,
  type LocalComponentStatus,
  type LocalStackStatus,
  localStackStatus,
} from './status.js';
export { aptInstallCommand, findBinary } from './util/binaries.js';

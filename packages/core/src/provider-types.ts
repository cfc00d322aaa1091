import { z } from 'zod';

/**
 * The catalogue of provider types a workspace can configure. Each declares its kind, whether it
 * needs a credential, and the schema of its settings. Adapters live in packages/providers; this
 * list is what the API validates against.
 */
export type ProviderKindName = 'sts' | 'asr' | 'llm' | 'tts';

export interface ProviderTypeInfo {
  kind: ProviderKindName;
  type: string;
  label: string;
  needsCredential: boolean;
  settings: z.ZodType<Record<string, unknown>>;
}

const url = (protocols: RegExp) => z.url({ protocol: protocols });
const http = url(/^https?$/);
const ws = url(/^wss?$/);

const t = (
  kind: ProviderKindName,
  type: string,
  label: string,
  needsCredential: boolean,
  shape: z.ZodRawShape = {},
): ProviderTypeInfo => ({
  kind,
  type,
  label,
  needsCredential,
  settings: z.strictObject(shape) as unknown as z.ZodType<Record<string, unknown>>,
});

export const PROVIDER_TYPES: readonly ProviderTypeInfo[] = [
  t('sts', 'openai-realtime', 'OpenAI Realtime', true, {
    baseUrl: ws.optional(),
    model: z.string().min(1).default('gpt-realtime'),
    voice: z.string().optional(),
    vad: z.enum(['server_vad', 'semantic_vad']).default('server_vad'),
    eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
    api: z.enum(['ga', 'beta']).default('ga'),
    transcriptionModel: z.string().min(1).optional(),
  }),
  t('sts', 'deepgram-agent', 'Deepgram Voice Agent', true, {
    baseUrl: ws.optional(),
    listenModel: z.string().default('nova-3'),
    thinkProvider: z.string().default('open_ai'),
    thinkModel: z.string().default('gpt-4o-mini'),
    speakModel: z.string().default('aura-2-thalia-en'),
    speakProvider: z.string().default('deepgram'),
  }),
  t('sts', 'avr-sts', 'AVR speech-to-speech connector', false, {
    url: ws,
    responseGapMs: z.number().int().min(100).max(5000).optional(),
  }),
  t('asr', 'deepgram', 'Deepgram streaming', true, {
    baseUrl: ws.optional(),
    model: z.string().default('nova-3'),
    endpointingMs: z.number().int().min(10).max(5000).default(300),
    utteranceEndMs: z.number().int().min(1000).max(5000).optional(),
  }),
  t('asr', 'wyoming', 'Wyoming (faster-whisper, …)', false, {
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    model: z.string().optional(),
  }),
  t('asr', 'avr-asr', 'AVR ASR connector', false, { url: http }),
  t('asr', 'soundswallower', 'Built-in speech recognition (offline, expected phrases)', false),
  t('asr', 'pocketsphinx', 'PocketSphinx (local, offline)', false),
  t('llm', 'openai-compatible', 'OpenAI-compatible Chat Completions', false, {
    baseUrl: http.default('https://api.openai.com/v1'),
    model: z.string().min(1),
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
  }),
  t('llm', 'avr-llm', 'AVR LLM connector', false, { url: http }),
  t('llm', 'answerer', 'Local answerer (question/answer matcher)', false),
  t('tts', 'elevenlabs', 'ElevenLabs streaming', true, {
    baseUrl: ws.optional(),
    voiceId: z.string().min(1),
    model: z.string().default('eleven_flash_v2_5'),
  }),
  t('tts', 'openai', 'OpenAI speech', true, {
    baseUrl: http.optional(),
    model: z.string().default('gpt-4o-mini-tts'),
    voice: z.string().default('alloy'),
    instructions: z.string().max(2000).optional(),
  }),
  t('tts', 'deepgram-aura', 'Deepgram Aura', true, {
    baseUrl: http.optional(),
    model: z.string().default('aura-2-thalia-en'),
  }),
  t('tts', 'wyoming', 'Wyoming (Piper, …)', false, {
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    voice: z.string().optional(),
  }),
  t('tts', 'avr-tts', 'AVR TTS connector', false, { url: http }),
  t('tts', 'espeak', 'eSpeak NG (local, offline)', false, { voice: z.string().default('en-us') }),
  t('tts', 'flite', 'Flite (local, system binary)', false, { voice: z.string().default('slt') }),
];

export const findProviderType = (kind: string, type: string): ProviderTypeInfo | undefined =>
  PROVIDER_TYPES.find((p) => p.kind === kind && p.type === type);

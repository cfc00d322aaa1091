import { AvrAsr } from './avr-http/avr-asr.js';
import { AvrLlm } from './avr-http/avr-llm.js';
import { AvrTts } from './avr-http/avr-tts.js';
import { DeepgramAsr } from './deepgram-asr/deepgram-asr.js';
import { DeepgramAuraTts } from './deepgram-aura/deepgram-aura-tts.js';
import { ElevenLabsTts } from './elevenlabs-tts/elevenlabs-tts.js';
import { OpenAiChatLlm } from './openai-chat/openai-chat-llm.js';
import { OpenAiTts } from './openai-tts/openai-tts.js';
import { ProviderRegistry } from './registry.js';
import { WyomingAsr } from './wyoming/wyoming-asr.js';
import { WyomingTts } from './wyoming/wyoming-tts.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** Settings are validated by the factory first; a missing required field here is a schema bug. */
const need = (v: unknown, field: string): string => {
  const s = str(v);
  if (s === undefined) throw new Error(`settings.${field} is required`);
  return s;
};
const opt = <K extends string, V>(key: K, v: V | undefined) =>
  v === undefined ? {} : ({ [key]: v } as Record<K, V>);

/** ElevenLabs voice ids are 20 alphanumerics; an agent voice of that shape overrides the setting. */
const ELEVENLABS_VOICE_ID = /^[A-Za-z0-9]{20}$/;

/**
 * Registers the cascaded (ASR, LLM, TTS) adapters that speak a vendor's wire protocol. Base URLs
 * come from settings, keys from the decrypted credential, so a real service is configuration only.
 */
export function registerCascadedProviders(
  registry: ProviderRegistry = new ProviderRegistry(),
): ProviderRegistry {
  return registry
    .register(
      'asr',
      'deepgram',
      ({ settings: s, secret, base, ctx }) =>
        new DeepgramAsr({
          ...base,
          apiKey: secret ?? '',
          logger: ctx.logger,
          ...opt('baseUrl', str(s.baseUrl)),
          ...opt('model', str(s.model)),
          ...opt('endpointingMs', num(s.endpointingMs)),
          ...opt('utteranceEndMs', num(s.utteranceEndMs)),
        }),
    )
    .register(
      'asr',
      'wyoming',
      ({ settings: s, base, ctx }) =>
        new WyomingAsr({
          ...base,
          host: need(s.host, 'host'),
          port: num(s.port) ?? 10300,
          logger: ctx.logger,
          ...opt('model', str(s.model)),
        }),
    )
    .register(
      'asr',
      'avr-asr',
      ({ settings: s, base, ctx }) =>
        new AvrAsr({ ...base, url: need(s.url, 'url'), uuid: ctx.callId, logger: ctx.logger }),
    )
    .register(
      'llm',
      'openai-compatible',
      ({ settings: s, secret, base, ctx }) =>
        new OpenAiChatLlm({
          ...base,
          baseUrl: str(s.baseUrl) ?? 'https://api.openai.com/v1',
          model: need(s.model, 'model'),
          logger: ctx.logger,
          ...opt('apiKey', secret),
          ...opt('temperature', num(s.temperature)),
          ...opt('maxTokens', num(s.maxTokens)),
        }),
    )
    .register(
      'llm',
      'avr-llm',
      ({ settings: s, base, ctx }) =>
        new AvrLlm({ ...base, url: need(s.url, 'url'), uuid: ctx.callId, logger: ctx.logger }),
    )
    .register(
      'tts',
      'elevenlabs',
      ({ settings: s, secret, base, ctx }) =>
        new ElevenLabsTts({
          ...base,
          apiKey: secret ?? '',
          voiceId: ctx.voice && ELEVENLABS_VOICE_ID.test(ctx.voice) ? ctx.voice : need(s.voiceId, 'voiceId'),
          logger: ctx.logger,
          ...opt('baseUrl', str(s.baseUrl)),
          ...opt('model', str(s.model)),
        }),
    )
    .register(
      'tts',
      'openai',
      ({ settings: s, secret, base, ctx }) =>
        new OpenAiTts({
          ...base,
          apiKey: secret ?? '',
          logger: ctx.logger,
          ...opt('baseUrl', str(s.baseUrl)),
          ...opt('model', str(s.model)),
          ...opt('voice', ctx.voice ?? str(s.voice)),
          ...opt('instructions', str(s.instructions)),
        }),
    )
    .register(
      'tts',
      'deepgram-aura',
      ({ settings: s, secret, base, ctx }) =>
        new DeepgramAuraTts({
          ...base,
          apiKey: secret ?? '',
          logger: ctx.logger,
          ...opt('baseUrl', str(s.baseUrl)),
          // An agent voice naming an Aura model (aura-2-…) overrides the provider's default.
          ...opt('model', ctx.voice?.startsWith('aura-') ? ctx.voice : str(s.model)),
        }),
    )
    .register(
      'tts',
      'wyoming',
      ({ settings: s, base, ctx }) =>
        new WyomingTts({
          ...base,
          host: need(s.host, 'host'),
          port: num(s.port) ?? 10200,
          logger: ctx.logger,
          ...opt('voice', str(s.voice) ?? ctx.voice),
        }),
    )
    .register(
      'tts',
      'avr-tts',
      ({ settings: s, base, ctx }) => new AvrTts({ ...base, url: need(s.url, 'url'), logger: ctx.logger }),
    );
}

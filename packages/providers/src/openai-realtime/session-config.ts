import { ProviderError, type StsOptions } from '@switchboard/engine';
import type { AudioFormat } from '@switchboard/media';
import { type JsonMessage, obj, str } from '../ws/ws-sts-session.js';

export type RealtimeApi = 'ga' | 'beta';
export type Eagerness = 'low' | 'medium' | 'high' | 'auto';

export interface RealtimeSettings {
  /** `wss://api.openai.com/v1/realtime` unless pointed elsewhere (a proxy, Azure, a test fake). */
  baseUrl?: string;
  model: string;
  voice?: string;
  vad: 'server_vad' | 'semantic_vad';
  eagerness?: Eagerness;
  /** The GA session shape, or the deprecated beta one (flat fields, `OpenAI-Beta` header). */
  api: RealtimeApi;
  transcriptionModel: string;
}

export const DEFAULT_REALTIME_URL = 'wss://api.openai.com/v1/realtime';

/** GA format objects and beta names; PCM is 24 kHz only, G.711 8 kHz (protocols §5.2). */
export function formatFor(api: RealtimeApi, f: AudioFormat): unknown {
  if (f.encoding === 'mulaw') return api === 'ga' ? { type: 'audio/pcmu' } : 'g711_ulaw';
  if (f.encoding === 'alaw') return api === 'ga' ? { type: 'audio/pcma' } : 'g711_alaw';
  return api === 'ga' ? { type: 'audio/pcm', rate: 24000 } : 'pcm16';
}

function turnDetection(s: RealtimeSettings, endOfTurnSilenceMs: number): JsonMessage {
  if (s.vad === 'semantic_vad') {
    return {
      type: 'semantic_vad',
      eagerness: s.eagerness ?? 'auto',
      create_response: true,
      interrupt_response: true,
    };
  }
  return {
    type: 'server_vad',
    threshold: 0.5,
    prefix_padding_ms: 300,
    silence_duration_ms: endOfTurnSilenceMs,
    create_response: true,
    interrupt_response: true,
  };
}

const tools = (opts: StsOptions) =>
  opts.tools.map((t) => ({
    type: 'function',
    name: t.name,
    description: t.description,
    parameters: t.parameters,
  }));

/** `en-US` → `en`: transcription takes ISO-639-1. */
const iso639 = (language: string) => language.split(/[-_]/)[0]?.toLowerCase() || 'en';

/** The `session.update` for a phone call, in the GA shape or the beta one. */
export function sessionUpdate(s: RealtimeSettings, opts: StsOptions): JsonMessage {
  const voice = opts.voice ?? s.voice ?? (s.api === 'ga' ? 'marin' : 'alloy');
  const toolList = tools(opts);
  const toolFields = toolList.length ? { tools: toolList, tool_choice: 'auto' } : {};
  if (s.api === 'beta') {
    return {
      type: 'session.update',
      session: {
        modalities: ['text', 'audio'],
        instructions: opts.instructions,
        voice,
        input_audio_format: formatFor('beta', opts.inputFormat),
        output_audio_format: formatFor('beta', opts.outputFormat),
        input_audio_transcription: { model: s.transcriptionModel },
        turn_detection: turnDetection(s, opts.endOfTurnSilenceMs),
        ...toolFields,
      },
    };
  }
  return {
    type: 'session.update',
    session: {
      type: 'realtime',
      model: s.model,
      output_modalities: ['audio'],
      instructions: opts.instructions,
      audio: {
        input: {
          format: formatFor('ga', opts.inputFormat),
          transcription: { model: s.transcriptionModel, language: iso639(opts.language) },
          turn_detection: turnDetection(s, opts.endOfTurnSilenceMs),
        },
        output: { format: formatFor('ga', opts.outputFormat), voice },
      },
      ...toolFields,
    },
  };
}

/** A `response.create` that speaks `text` verbatim and calls no tool (greetings, apologies). */
export function sayExactly(api: RealtimeApi, text: string): JsonMessage {
  return {
    type: 'response.create',
    response: {
      instructions: `Say exactly the following text, word for word, and nothing else: ${JSON.stringify(text)}`,
      ...(api === 'ga' ? { output_modalities: ['audio'] } : { modalities: ['text', 'audio'] }),
      tool_choice: 'none',
    },
  };
}

/**
 * Classifies an `error` event. Null means the session goes on (the event is logged); otherwise
 * the session ends with this error.
 */
export function realtimeError(msg: JsonMessage, provider: string): ProviderError | null {
  const e = obj(msg.error) ?? {};
  const type = str(e.type) ?? '';
  const code = str(e.code) ?? '';
  const message = `${provider}: ${str(e.message) ?? 'error'}${code ? ` (${code})` : ''}`;
  if (type === 'authentication_error' || code === 'invalid_api_key' || code === 'insufficient_quota') {
    return new ProviderError('auth', message, { provider });
  }
  if (code === 'rate_limit_exceeded' || type === 'rate_limit_error') {
    return new ProviderError('rate_limit', message, { provider });
  }
  if (type === 'server_error') return new ProviderError('unavailable', message, { provider });
  if (code === 'session_expired') return new ProviderError('unavailable', message, { provider });
  // invalid_request_error and friends (a cancel or truncate that raced the end of a response,
  // one bad client event): the session itself is intact.
  return null;
}

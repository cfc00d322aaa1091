import { z } from 'zod';
import {
  anyRuleMatches,
  type HostRule,
  normalizeHost,
  parseHostRule,
  type Target,
  targetOf,
} from './outbound/host-rules.js';

/** What a provider's connection check answers, from the API to the checks themselves. */
export const PROVIDER_TEST_CODES = [
  'ok',
  'bad_credentials',
  'no_access',
  'unreachable',
  'timeout',
  'bad_settings',
  'not_allowed',
  'unsupported',
] as const;
export type ProviderTestCode = (typeof PROVIDER_TEST_CODES)[number];

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
  /**
   * The vendor's own hosts: where a credential used with this type may always be sent. Anything
   * else (a proxy, Azure, a self-hosted server) must be listed on the credential by an admin.
   */
  vendorHosts: readonly string[];
  /** The URL the type connects to when its endpoint setting is unset. */
  defaultUrl?: string;
}

/** One place a provider connects to, and the setting that decides it (for error paths). */
export interface ProviderEndpoint {
  setting: 'baseUrl' | 'url' | 'host';
  target: Target;
}

/**
 * Where a provider of this type, with these (validated) settings, connects: its `baseUrl` or
 * `url`, the vendor default when unset, or the `host`/`port` of a raw TCP service.
 */
export function providerEndpoints(
  info: ProviderTypeInfo,
  settings: Record<string, unknown>,
): ProviderEndpoint[] {
  for (const setting of ['baseUrl', 'url'] as const) {
    const value = settings[setting];
    if (typeof value === 'string' && value) {
      const target = targetOf(value);
      return target ? [{ setting, target }] : [];
    }
  }
  if (typeof settings.host === 'string' && typeof settings.port === 'number') {
    return [{ setting: 'host', target: { host: normalizeHost(settings.host), port: settings.port } }];
  }
  const fallback = info.defaultUrl ? targetOf(info.defaultUrl) : undefined;
  return fallback ? [{ setting: 'baseUrl', target: fallback }] : [];
}

/** The hosts a credential may be sent to when used with this type: the vendor's, plus the admin's list. */
export function credentialHostRules(info: ProviderTypeInfo, allowedHosts: readonly string[]): HostRule[] {
  return [...info.vendorHosts, ...allowedHosts].flatMap((h) => {
    const r = parseHostRule(h);
    return typeof r === 'string' ? [] : [r];
  });
}

/**
 * The endpoints of a provider that its credential may not be sent to; empty when all are allowed.
 * Used when a provider is saved and again every time it connects.
 */
export function endpointsOutsideCredential(
  info: ProviderTypeInfo,
  settings: Record<string, unknown>,
  allowedHosts: readonly string[],
): ProviderEndpoint[] {
  const rules = credentialHostRules(info, allowedHosts);
  return providerEndpoints(info, settings).filter((e) => !anyRuleMatches(rules, e.target));
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
  vendor: { hosts?: readonly string[]; defaultUrl?: string } = {},
): ProviderTypeInfo => ({
  kind,
  type,
  label,
  needsCredential,
  settings: z.strictObject(shape) as unknown as z.ZodType<Record<string, unknown>>,
  vendorHosts: vendor.hosts ?? [],
  ...(vendor.defaultUrl ? { defaultUrl: vendor.defaultUrl } : {}),
});

const OPENAI = ['api.openai.com'];
const DEEPGRAM = ['api.deepgram.com', 'agent.deepgram.com'];
const ELEVENLABS = ['api.elevenlabs.io'];

export const PROVIDER_TYPES: readonly ProviderTypeInfo[] = [
  t(
    'sts',
    'openai-realtime',
    'OpenAI Realtime',
    true,
    {
      baseUrl: ws.optional(),
      model: z.string().min(1).default('gpt-realtime'),
      voice: z.string().optional(),
      vad: z.enum(['server_vad', 'semantic_vad']).default('server_vad'),
      eagerness: z.enum(['low', 'medium', 'high', 'auto']).optional(),
      api: z.enum(['ga', 'beta']).default('ga'),
      transcriptionModel: z.string().min(1).optional(),
    },
    { hosts: OPENAI, defaultUrl: 'wss://api.openai.com/v1/realtime' },
  ),
  t(
    'sts',
    'deepgram-agent',
    'Deepgram Voice Agent',
    true,
    {
      baseUrl: ws.optional(),
      listenModel: z.string().default('nova-3'),
      thinkProvider: z.string().default('open_ai'),
      thinkModel: z.string().default('gpt-4o-mini'),
      speakModel: z.string().default('aura-2-thalia-en'),
      speakProvider: z.string().default('deepgram'),
    },
    { hosts: DEEPGRAM, defaultUrl: 'wss://agent.deepgram.com/v1/agent/converse' },
  ),
  t('sts', 'avr-sts', 'AVR speech-to-speech connector', false, {
    url: ws,
    responseGapMs: z.number().int().min(100).max(5000).optional(),
  }),
  t(
    'asr',
    'deepgram',
    'Deepgram streaming',
    true,
    {
      baseUrl: ws.optional(),
      model: z.string().default('nova-3'),
      endpointingMs: z.number().int().min(10).max(5000).default(300),
      utteranceEndMs: z.number().int().min(1000).max(5000).optional(),
    },
    { hosts: DEEPGRAM, defaultUrl: 'wss://api.deepgram.com/v1' },
  ),
  t('asr', 'wyoming', 'Wyoming (faster-whisper, …)', false, {
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    model: z.string().optional(),
  }),
  t('asr', 'avr-asr', 'AVR ASR connector', false, { url: http }),
  t('asr', 'soundswallower', 'Built-in speech recognition (offline, expected phrases)', false),
  t('asr', 'pocketsphinx', 'PocketSphinx (local, offline)', false),
  t(
    'llm',
    'openai-compatible',
    'OpenAI-compatible Chat Completions',
    false,
    {
      baseUrl: http.default('https://api.openai.com/v1'),
      model: z.string().min(1),
      temperature: z.number().min(0).max(2).optional(),
      maxTokens: z.number().int().positive().optional(),
    },
    { hosts: OPENAI, defaultUrl: 'https://api.openai.com/v1' },
  ),
  t('llm', 'avr-llm', 'AVR LLM connector', false, { url: http }),
  t('llm', 'answerer', 'Local answerer (question/answer matcher)', false),
  t(
    'tts',
    'elevenlabs',
    'ElevenLabs streaming',
    true,
    {
      baseUrl: ws.optional(),
      voiceId: z.string().min(1),
      model: z.string().default('eleven_flash_v2_5'),
    },
    { hosts: ELEVENLABS, defaultUrl: 'wss://api.elevenlabs.io/v1' },
  ),
  t(
    'tts',
    'openai',
    'OpenAI speech',
    true,
    {
      baseUrl: http.optional(),
      model: z.string().default('gpt-4o-mini-tts'),
      voice: z.string().default('alloy'),
      instructions: z.string().max(2000).optional(),
    },
    { hosts: OPENAI, defaultUrl: 'https://api.openai.com/v1' },
  ),
  t(
    'tts',
    'deepgram-aura',
    'Deepgram Aura',
    true,
    {
      baseUrl: http.optional(),
      model: z.string().default('aura-2-thalia-en'),
    },
    { hosts: DEEPGRAM, defaultUrl: 'https://api.deepgram.com/v1' },
  ),
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

import { ProviderError } from '@switchboard/engine';
import { AvrSts } from './avr-sts/avr-sts.js';
import { DeepgramAgent } from './deepgram-agent/deepgram-agent.js';
import { OpenAiRealtime } from './openai-realtime/openai-realtime.js';
import type { Eagerness, RealtimeApi } from './openai-realtime/session-config.js';
import type { BuildArgs } from './registry.js';
import { ProviderRegistry } from './registry.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function key({ ref, secret }: BuildArgs): string {
  if (!secret) throw new ProviderError('auth', `provider ${ref} has no credential`, { provider: ref });
  return secret;
}

/** Registers the speech-to-speech adapters; settings arrive validated by core's schemas. */
export function registerStsProviders(registry: ProviderRegistry = new ProviderRegistry()): ProviderRegistry {
  return registry
    .register('sts', 'openai-realtime', (args) => {
      const s = args.settings;
      return new OpenAiRealtime({
        ...args.base,
        apiKey: key(args),
        logger: args.logger,
        ...(str(s.baseUrl) ? { baseUrl: str(s.baseUrl) } : {}),
        ...(str(s.model) ? { model: str(s.model) } : {}),
        ...(str(s.voice) ? { voice: str(s.voice) } : {}),
        ...(s.vad === 'semantic_vad' || s.vad === 'server_vad' ? { vad: s.vad } : {}),
        ...(str(s.eagerness) ? { eagerness: s.eagerness as Eagerness } : {}),
        ...(s.api === 'beta' || s.api === 'ga' ? { api: s.api as RealtimeApi } : {}),
        ...(str(s.transcriptionModel) ? { transcriptionModel: str(s.transcriptionModel) } : {}),
      });
    })
    .register('sts', 'deepgram-agent', (args) => {
      const s = args.settings;
      return new DeepgramAgent({
        ...args.base,
        apiKey: key(args),
        logger: args.logger,
        ...(str(s.baseUrl) ? { baseUrl: str(s.baseUrl) } : {}),
        ...(str(s.listenModel) ? { listenModel: str(s.listenModel) } : {}),
        ...(str(s.thinkProvider) ? { thinkProvider: str(s.thinkProvider) } : {}),
        ...(str(s.thinkModel) ? { thinkModel: str(s.thinkModel) } : {}),
        ...(str(s.speakProvider) ? { speakProvider: str(s.speakProvider) } : {}),
        ...(str(s.speakModel) ? { speakModel: str(s.speakModel) } : {}),
      });
    })
    .register('sts', 'avr-sts', (args) => {
      const url = str(args.settings.url);
      if (!url)
        throw new ProviderError('bad_request', `provider ${args.ref}: settings.url is required`, {
          provider: args.ref,
        });
      const gap = num(args.settings.responseGapMs);
      return new AvrSts({
        ...args.base,
        url,
        callId: args.ctx.callId,
        logger: args.logger,
        ...(gap ? { responseGapMs: gap } : {}),
      });
    });
}

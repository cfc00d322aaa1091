import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, StsBase, type StsOptions, type StsSession } from '@switchboard/engine';
import { ALAW_8K, type AudioFormat, MULAW_8K, PCM16_24K } from '@switchboard/media';
import { openSocket } from '../ws/open-socket.js';
import { RealtimeSession } from './realtime-session.js';
import { DEFAULT_REALTIME_URL, type RealtimeSettings } from './session-config.js';

export interface OpenAiRealtimeOptions extends ProviderBaseOptions, Partial<RealtimeSettings> {
  apiKey: string;
  logger: Logger;
  name?: string;
}

/**
 * OpenAI Realtime over WebSocket. G.711 is declared so a μ-law or A-law call relays its bytes
 * untouched both ways; anything else is converted by the base to PCM16 24 kHz.
 */
export class OpenAiRealtime extends StsBase {
  readonly name: string;
  readonly supportedFormats: readonly AudioFormat[] = [MULAW_8K, ALAW_8K, PCM16_24K];
  readonly settings: RealtimeSettings;
  readonly #apiKey: string;
  readonly #logger: Logger;

  constructor(opts: OpenAiRealtimeOptions) {
    super(opts);
    this.name = opts.name ?? 'openai-realtime';
    this.#apiKey = opts.apiKey;
    this.#logger = opts.logger;
    this.settings = {
      model: opts.model ?? 'gpt-realtime',
      vad: opts.vad ?? 'server_vad',
      api: opts.api ?? 'ga',
      transcriptionModel:
        opts.transcriptionModel ?? (opts.api === 'beta' ? 'whisper-1' : 'gpt-4o-mini-transcribe'),
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
      ...(opts.voice ? { voice: opts.voice } : {}),
      ...(opts.eagerness ? { eagerness: opts.eagerness } : {}),
    };
  }

  /** Opens the socket, waits for `session.created`, configures the session, waits for `session.updated`. */
  protected async openSession(opts: StsOptions, signal: AbortSignal): Promise<StsSession> {
    const url = new URL(this.settings.baseUrl ?? DEFAULT_REALTIME_URL);
    url.searchParams.set('model', this.settings.model);
    const headers: Record<string, string> = { Authorization: `Bearer ${this.#apiKey}` };
    if (this.settings.api === 'beta') headers['OpenAI-Beta'] = 'realtime=v1';
    const socket = await openSocket(url.toString(), {
      provider: this.name,
      headers,
      signal,
      outbound: this.outbound,
    });
    return new RealtimeSession(socket, this.settings, opts, this.name, this.#logger).opened(signal);
  }
}

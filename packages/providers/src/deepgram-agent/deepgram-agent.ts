import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, StsBase, type StsOptions, type StsSession } from '@switchboard/engine';
import { ALAW_8K, type AudioFormat, MULAW_8K, PCM16_8K, PCM16_16K, PCM16_24K } from '@switchboard/media';
import { openSocket } from '../ws/open-socket.js';
import { AgentSession } from './agent-session.js';
import { DEFAULT_AGENT_URL, type DeepgramAgentSettings } from './agent-settings.js';

export interface DeepgramAgentOptions extends ProviderBaseOptions, Partial<DeepgramAgentSettings> {
  apiKey: string;
  logger: Logger;
  name?: string;
}

/** Deepgram Voice Agent; G.711 calls relay their bytes untouched, linear ones keep their rate. */
export class DeepgramAgent extends StsBase {
  readonly name: string;
  readonly supportedFormats: readonly AudioFormat[] = [MULAW_8K, ALAW_8K, PCM16_8K, PCM16_16K, PCM16_24K];
  readonly settings: DeepgramAgentSettings;
  readonly #apiKey: string;
  readonly #logger: Logger;

  constructor(opts: DeepgramAgentOptions) {
    super(opts);
    this.name = opts.name ?? 'deepgram-agent';
    this.#apiKey = opts.apiKey;
    this.#logger = opts.logger;
    this.settings = {
      listenModel: opts.listenModel ?? 'nova-3',
      thinkProvider: opts.thinkProvider ?? 'open_ai',
      thinkModel: opts.thinkModel ?? 'gpt-4o-mini',
      speakProvider: opts.speakProvider ?? 'deepgram',
      speakModel: opts.speakModel ?? 'aura-2-thalia-en',
      keepAliveMs: opts.keepAliveMs ?? 5000,
      ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
    };
  }

  /** Opens the socket, waits for Welcome, sends Settings, waits for SettingsApplied. */
  protected async openSession(opts: StsOptions, signal: AbortSignal): Promise<StsSession> {
    const socket = await openSocket(this.settings.baseUrl ?? DEFAULT_AGENT_URL, {
      provider: this.name,
      headers: { Authorization: `Token ${this.#apiKey}` },
      signal,
      outbound: this.outbound,
    });
    return new AgentSession(socket, this.settings, opts, this.clock, this.name, this.#logger).opened(signal);
  }
}

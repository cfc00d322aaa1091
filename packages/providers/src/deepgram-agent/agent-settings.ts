import type { StsOptions } from '@switchboard/engine';
import type { AudioFormat } from '@switchboard/media';
import type { JsonMessage } from '../ws/ws-sts-session.js';

export interface DeepgramAgentSettings {
  /** `wss://agent.deepgram.com/v1/agent/converse` unless pointed elsewhere. */
  baseUrl?: string;
  listenModel: string;
  thinkProvider: string;
  thinkModel: string;
  speakProvider: string;
  speakModel: string;
  /** KeepAlive period while no caller audio is being sent (protocols §6: about 5 s). */
  keepAliveMs: number;
}

export const DEFAULT_AGENT_URL = 'wss://agent.deepgram.com/v1/agent/converse';

const encoding = (f: AudioFormat) => (f.encoding === 'pcm16' ? 'linear16' : f.encoding);

/** The speak provider block; ElevenLabs names its model `model_id`, the others `model`. */
export const speakBlock = (provider: string, model: string): JsonMessage => ({
  provider: provider === 'eleven_labs' ? { type: provider, model_id: model } : { type: provider, model },
});

/** The Settings message, sent once after Welcome and before any audio. */
export function settingsMessage(s: DeepgramAgentSettings, opts: StsOptions): JsonMessage {
  const functions = opts.tools.map((t) => ({
    name: t.name,
    description: t.description,
    parameters: t.parameters,
  }));
  return {
    type: 'Settings',
    audio: {
      input: { encoding: encoding(opts.inputFormat), sample_rate: opts.inputFormat.sampleRate },
      output: {
        encoding: encoding(opts.outputFormat),
        sample_rate: opts.outputFormat.sampleRate,
        container: 'none',
      },
    },
    agent: {
      language: opts.language.split(/[-_]/)[0]?.toLowerCase() || 'en',
      listen: { provider: { type: 'deepgram', model: s.listenModel } },
      think: {
        provider: { type: s.thinkProvider, model: s.thinkModel },
        prompt: opts.instructions,
        ...(functions.length ? { functions } : {}),
      },
      speak: speakBlock(s.speakProvider, s.speakModel),
    },
  };
}

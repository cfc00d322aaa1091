import type { Logger } from '@switchboard/core';
import { AsrBase, type AsrOptions, type AsrStream, type ProviderBaseOptions } from '@switchboard/engine';
import { ALAW_8K, type AudioFormat, MULAW_8K, PCM16_8K, PCM16_16K, PCM16_24K } from '@switchboard/media';
import { joinUrl } from '../util/http-stream.js';
import { openWebSocket } from '../util/ws-open.js';
import { DeepgramStream } from './deepgram-stream.js';

export const DEEPGRAM_WS_BASE = 'wss://api.deepgram.com/v1';

export interface DeepgramAsrOptions extends ProviderBaseOptions {
  apiKey: string;
  /** API root including the version; `/listen` is appended. Self-hosted: `ws://host:8080/v1`. */
  baseUrl?: string;
  model?: string;
  endpointingMs?: number;
  utteranceEndMs?: number;
  keepAliveMs?: number;
  closeWaitMs?: number;
  logger?: Logger;
}

/** Keyterm prompting takes a bounded list; more phrases would only lengthen the URL. */
const MAX_KEYTERMS = 50;

/**
 * Deepgram streaming recognition. It takes μ-law and A-law at 8 kHz as they are, so a telephone
 * call's audio is relayed without decoding; other calls send linear PCM at their own rate.
 */
export class DeepgramAsr extends AsrBase {
  readonly name = 'deepgram';
  readonly supportedFormats: readonly AudioFormat[] = [
    MULAW_8K,
    ALAW_8K,
    PCM16_8K,
    PCM16_16K,
    PCM16_24K,
    { encoding: 'pcm16', sampleRate: 48000 },
  ];
  readonly #o: DeepgramAsrOptions;

  constructor(opts: DeepgramAsrOptions) {
    super(opts);
    this.#o = opts;
  }

  /** The `/v1/listen` URL for a stream in `format`. */
  listenUrl(format: AudioFormat, opts: Pick<AsrOptions, 'language' | 'phrases'>): string {
    const model = this.#o.model ?? 'nova-3';
    const q = new URLSearchParams({
      model,
      language: opts.language,
      encoding: format.encoding === 'pcm16' ? 'linear16' : format.encoding,
      sample_rate: String(format.sampleRate),
      channels: '1',
      interim_results: 'true',
      endpointing: String(this.#o.endpointingMs ?? 300),
      utterance_end_ms: String(this.#o.utteranceEndMs ?? 1000),
      vad_events: 'true',
      smart_format: 'true',
    });
    // nova-3 takes `keyterm`; older models the `keywords` boost.
    const hint = model.startsWith('nova-3') ? 'keyterm' : 'keywords';
    for (const p of opts.phrases.slice(0, MAX_KEYTERMS)) if (p.trim()) q.append(hint, p.trim());
    return `${joinUrl(this.#o.baseUrl ?? DEEPGRAM_WS_BASE, 'listen')}?${q}`;
  }

  protected async openStream(format: AudioFormat, opts: AsrOptions, signal: AbortSignal): Promise<AsrStream> {
    const ws = await openWebSocket(
      this.name,
      this.listenUrl(format, opts),
      { authorization: `Token ${this.#o.apiKey}` },
      signal,
      this.outbound,
    );
    return new DeepgramStream(ws, {
      provider: this.name,
      keepAliveMs: this.#o.keepAliveMs ?? 4000,
      closeWaitMs: this.#o.closeWaitMs ?? 1500,
      signal: opts.signal,
    });
  }
}

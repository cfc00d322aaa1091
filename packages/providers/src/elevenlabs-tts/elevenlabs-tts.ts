import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, ProviderError, TtsBase } from '@switchboard/engine';
import {
  ALAW_8K,
  type AudioFormat,
  type AudioFrame,
  MULAW_8K,
  PCM16_8K,
  PCM16_16K,
  PCM16_24K,
  Reframer,
} from '@switchboard/media';
import { AsyncQueue } from '../util/async-queue.js';
import { joinUrl } from '../util/http-stream.js';
import { messageText, openWebSocket } from '../util/ws-open.js';

export const ELEVENLABS_WS_BASE = 'wss://api.elevenlabs.io/v1';

export interface ElevenLabsTtsOptions extends ProviderBaseOptions {
  apiKey: string;
  voiceId: string;
  model?: string;
  /** API root including the version; `/text-to-speech/{voice}/stream-input` is appended. */
  baseUrl?: string;
  voiceSettings?: { stability?: number; similarity_boost?: number; speed?: number };
  logger?: Logger;
}

interface ServerMessage {
  audio?: string | null;
  isFinal?: boolean | null;
  is_final?: boolean | null;
  message?: string;
  error?: string;
}

/** The `output_format` for a format this adapter declares. */
export function elevenLabsOutputFormat(f: AudioFormat): string {
  if (f.encoding === 'mulaw') return 'ulaw_8000';
  if (f.encoding === 'alaw') return 'alaw_8000';
  return `pcm_${f.sampleRate}`;
}

/**
 * ElevenLabs `stream-input` WebSocket (§7.2): the model's text goes out as it is written, audio
 * comes back base64 in the call's own format when that is μ-law or A-law (no transcoding).
 */
export class ElevenLabsTts extends TtsBase {
  readonly name = 'elevenlabs';
  readonly supportedFormats: readonly AudioFormat[] = [MULAW_8K, ALAW_8K, PCM16_8K, PCM16_16K, PCM16_24K];
  readonly #o: ElevenLabsTtsOptions;

  constructor(opts: ElevenLabsTtsOptions) {
    super(opts);
    this.#o = opts;
  }

  streamUrl(format: AudioFormat): string {
    const q = new URLSearchParams({
      model_id: this.#o.model ?? 'eleven_flash_v2_5',
      output_format: elevenLabsOutputFormat(format),
    });
    const path = `text-to-speech/${encodeURIComponent(this.#o.voiceId)}/stream-input`;
    return `${joinUrl(this.#o.baseUrl ?? ELEVENLABS_WS_BASE, path)}?${q}`;
  }

  protected synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncIterable<AudioFrame> {
    return this.synthesizeTextStream(once(text), format, signal);
  }

  protected override async *synthesizeTextStream(
    text: AsyncIterable<string>,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    const ws = await openWebSocket(
      this.name,
      this.streamUrl(format),
      { 'xi-api-key': this.#o.apiKey },
      signal,
      this.outbound,
    );
    const frames = new AsyncQueue<AudioFrame>();
    const reframer = new Reframer(format, 20);
    let inputEnded = false;
    const fail = (e: ProviderError) => {
      frames.fail(e);
      ws.terminate();
    };
    ws.on('message', (data) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(messageText(data)) as ServerMessage;
      } catch {
        return;
      }
      if (typeof m.audio === 'string' && m.audio) {
        for (const f of reframer.push(new Uint8Array(Buffer.from(m.audio, 'base64')))) frames.push(f);
      }
      if (m.isFinal === true || m.is_final === true) {
        const tail = reframer.flush();
        if (tail) frames.push(tail);
        frames.close();
        ws.close(1000);
      } else if (m.error || (m.message && m.audio === undefined)) {
        fail(classifyMessage(this.name, m));
      }
    });
    ws.on('error', () => {
      // 'close' follows and says what happened.
    });
    ws.on('close', (code, reason) => {
      if (frames.closed || signal.aborted) return;
      if (inputEnded && code === 1000) {
        const tail = reframer.flush();
        if (tail) frames.push(tail);
        frames.close();
        return;
      }
      frames.fail(classifyClose(this.name, code, reason.toString('utf8')));
    });
    const onAbort = () => {
      ws.terminate();
      frames.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const send = (msg: Record<string, unknown>) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    // The first message opens the stream with a single space and carries the settings.
    send({ text: ' ', ...(this.#o.voiceSettings ? { voice_settings: this.#o.voiceSettings } : {}) });
    const pump = (async () => {
      let pending = '';
      for await (const delta of text) {
        if (signal.aborted) return;
        pending += delta;
        // Chunks should end on a word: only text up to the last whitespace goes out.
        const cut = lastSpace(pending);
        if (cut > 0) {
          send({ text: pending.slice(0, cut) });
          pending = pending.slice(cut);
        }
      }
      const rest = pending.trim();
      send({ text: rest ? `${rest} ` : ' ', flush: true });
      inputEnded = true;
      send({ text: '' });
    })().catch((e: unknown) => fail(ProviderError.from(e, this.name)));
    try {
      yield* frames;
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.terminate();
      void pump;
    }
  }
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}

function lastSpace(s: string): number {
  const m = /\s(?=\S*$)/.exec(s);
  return m ? m.index + 1 : 0;
}

/** ElevenLabs reports a bad key in-band and closes with 1008 (policy violation). */
function classifyMessage(provider: string, m: ServerMessage): ProviderError {
  const text = `${m.error ?? ''} ${m.message ?? ''}`.trim();
  const auth = /api[_ ]key|unauthori[sz]ed|quota|permission/i.test(text);
  return new ProviderError(auth ? 'auth' : 'unavailable', `${provider}: ${text}`, { provider });
}

function classifyClose(provider: string, code: number, reason: string): ProviderError {
  const message = `${provider}: connection closed (${code}${reason ? ` ${reason}` : ''})`;
  if (code === 1008) return new ProviderError('auth', message, { provider });
  return new ProviderError('unavailable', message, { provider });
}

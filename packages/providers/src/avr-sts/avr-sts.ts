import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, StsBase, type StsOptions, type StsSession } from '@switchboard/engine';
import { type AudioFormat, PCM16_8K } from '@switchboard/media';
import { openSocket } from '../ws/open-socket.js';
import { AvrStsSession } from './avr-sts-session.js';

export interface AvrStsOptions extends ProviderBaseOptions {
  /** The connector's WebSocket URL (`STS_URL`), query parameters included. */
  url: string;
  /** Sent as `init.uuid`; connectors key their per-call state by it. */
  callId: string;
  logger: Logger;
  name?: string;
  /** Quiet time after which the agent's audio counts as one finished response. */
  responseGapMs?: number;
}

/**
 * Any AVR speech-to-speech connector (OpenAI, Gemini, Deepgram, ElevenLabs, Ultravox, xAI…) as a
 * provider. The contract is PCM16 8 kHz base64 in JSON both ways; the base converts other calls.
 */
export class AvrSts extends StsBase {
  readonly name: string;
  readonly supportedFormats: readonly AudioFormat[] = [PCM16_8K];
  readonly #o: AvrStsOptions;

  constructor(opts: AvrStsOptions) {
    super(opts);
    this.name = opts.name ?? 'avr-sts';
    this.#o = opts;
  }

  protected async openSession(opts: StsOptions, signal: AbortSignal): Promise<StsSession> {
    const socket = await openSocket(this.#o.url, { provider: this.name, signal, outbound: this.outbound });
    const session = new AvrStsSession(
      socket,
      opts,
      this.clock,
      this.#o.responseGapMs ?? 500,
      this.name,
      this.#o.logger,
    );
    return session.start(this.#o.callId).opened(signal);
  }
}

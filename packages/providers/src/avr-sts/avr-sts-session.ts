import type { Logger } from '@switchboard/core';
import { ProviderError, type StsOptions } from '@switchboard/engine';
import type { AudioFrame, Clock } from '@switchboard/media';
import type WebSocket from 'ws';
import { type JsonMessage, jsonWithBase64, str, WsStsSession } from '../ws/ws-sts-session.js';

const AUDIO_HEAD = Buffer.from('{"type":"audio","audio":"');
const AUDIO_TAIL = Buffer.from('"}');

/**
 * One call on an AVR speech-to-speech connector. The contract has no response boundaries, so a
 * response starts with the first audio after a quiet spell and ends after `responseGapMs` without
 * audio; after a barge-in, audio still in flight from the cut response is dropped until such a gap.
 */
export class AvrStsSession extends WsStsSession {
  readonly #opts: StsOptions;
  readonly #clock: Clock;
  readonly #gapMs: number;
  #inResponse = false;
  #discarding = false;
  #cancelGap: (() => void) | undefined;
  #lastAudioAt = 0;
  readonly #onGapTimer = () => this.#checkGap();

  constructor(
    socket: WebSocket,
    opts: StsOptions,
    clock: Clock,
    gapMs: number,
    provider: string,
    logger: Logger,
  ) {
    super(socket, provider, logger);
    this.#opts = opts;
    this.#clock = clock;
    this.#gapMs = gapMs;
  }

  /** Sends `init`; the connector opens its vendor session on it and answers nothing. */
  start(uuid: string): this {
    const { instructions, language, voice } = this.#opts;
    this.sendJson({
      type: 'init',
      uuid,
      provider_config: { instructions, language, ...(voice ? { voice } : {}) },
    });
    this.markReady();
    return this;
  }

  push(frame: AudioFrame): void {
    if (this.isOpen) this.socket.send(jsonWithBase64(AUDIO_HEAD, frame.data, AUDIO_TAIL), { binary: false });
  }

  /** Keypad digits, for connectors that act on them (AVR core 1.9+). */
  sendDtmf(digit: string): void {
    this.sendJson({ type: 'dtmf_digit', digit });
  }

  say(text: string): void {
    // The contract carries no text to speak; greetings are the connector's own configuration.
    this.logger.debug(
      { provider: this.provider, chars: text.length },
      'avr sts: say() not supported by the contract',
    );
  }

  sendToolResult(_callId: string, _output: string): void {
    // Connectors run their own tools and never ask the core for results.
  }

  interrupt(_heardMs: number): void {
    if (!this.#inResponse) return;
    this.#inResponse = false;
    this.#discarding = true;
  }

  /**
   * `{"type":"audio","audio":"<base64>"}` exactly as the contract writes it is decoded straight
   * from the frame's bytes; any other shape (more fields, escapes) goes through JSON.parse.
   */
  protected override onText(data: Buffer): boolean {
    const end = data.length - AUDIO_TAIL.length;
    if (
      end < AUDIO_HEAD.length ||
      data.compare(AUDIO_HEAD, 0, AUDIO_HEAD.length, 0, AUDIO_HEAD.length) !== 0 ||
      data.indexOf(0x22, AUDIO_HEAD.length) !== end ||
      data[end + 1] !== 0x7d ||
      data.indexOf(0x5c, AUDIO_HEAD.length) !== -1
    ) {
      return false;
    }
    this.#audio(Buffer.from(data.toString('latin1', AUDIO_HEAD.length, end), 'base64'));
    return true;
  }

  protected onJson(msg: JsonMessage): void {
    switch (msg.type) {
      case 'audio':
        this.#audio(Buffer.from(str(msg.audio) ?? '', 'base64'));
        return;
      case 'interruption':
        this.emit({ type: 'speech-start' });
        return;
      case 'transcript': {
        const role = msg.role === 'user' ? 'caller' : msg.role === 'agent' ? 'agent' : undefined;
        if (role) this.emit({ type: 'transcript', role, text: str(msg.text) ?? '', final: true });
        return;
      }
      case 'error':
        this.fail(
          new ProviderError('unavailable', `${this.provider}: ${str(msg.message) ?? 'error'}`, {
            provider: this.provider,
          }),
        );
        return;
      default:
        this.logger.debug({ provider: this.provider, type: msg.type }, 'avr sts: unknown message ignored');
    }
  }

  #audio(data: Buffer): void {
    // One timer per gap, not one per frame: it fires `gapMs` after the first audio and, while
    // audio keeps coming, re-arms for what is left of the gap after the latest frame.
    this.#lastAudioAt = this.#clock.now();
    this.#cancelGap ??= this.#clock.schedule(this.#onGapTimer, this.#gapMs);
    if (this.#discarding || data.byteLength === 0) return;
    if (!this.#inResponse) {
      this.#inResponse = true;
      this.emit({ type: 'response-start' });
    }
    this.emit({ type: 'audio', frame: { format: this.#opts.outputFormat, data } });
  }

  #checkGap(): void {
    this.#cancelGap = undefined;
    const quietMs = this.#clock.now() - this.#lastAudioAt;
    if (quietMs < this.#gapMs)
      this.#cancelGap = this.#clock.schedule(this.#onGapTimer, this.#gapMs - quietMs);
    else this.#gap();
  }

  #gap(): void {
    this.#discarding = false;
    if (!this.#inResponse) return;
    this.#inResponse = false;
    this.emit({ type: 'response-done' });
  }

  protected override onSocketClosed(): void {
    this.#cancelGap?.();
  }
}

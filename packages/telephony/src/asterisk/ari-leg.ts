/**
 * A channel in our Stasis application as a `CallLeg`: audio over the externalMedia RTP session,
 * control over ARI REST. The Stasis app feeds channel events in through `deliverDtmf` and
 * `remoteEnded`; `onFinished` releases the bridge and media channel whichever side ends the call.
 */
import { EventEmitter } from 'node:events';
import type { CallDirection, EndedReason, Logger } from '@switchboard/core';
import { type CallLeg, Channel, type ConsultLeg, type ConsultOptions } from '@switchboard/engine';
import { type AudioFormat, type AudioFrame, FormatConverter, sameFormat, swap16 } from '@switchboard/media';
import type { RtpSession } from '../sip/rtp-session.js';
import type { AriClient } from './ari-client.js';

export interface AriCallLegInit {
  channelId: string;
  direction: CallDirection;
  from: string;
  to: string;
  /** Dialplan context the channel came from, where a transfer to an extension continues. */
  context: string | undefined;
  /** Audio format of the RTP payload (μ-law, or 16 kHz L16 which RTP carries big-endian). */
  format: AudioFormat;
  client: AriClient;
  logger: Logger;
  onFinished(leg: AriCallLeg): void;
  /** Warm transfer through the Stasis application (see `AriStasisApp.consult`). */
  consult?(leg: AriCallLeg, target: string, options: ConsultOptions): Promise<ConsultLeg>;
}

export class AriCallLeg extends EventEmitter implements CallLeg {
  readonly id: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly connector = 'asterisk';
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  readonly ended: Promise<EndedReason>;
  endedReason: EndedReason | undefined;
  rtp: RtpSession | undefined;
  readonly #o: AriCallLegInit;
  readonly #audio = new Channel<AudioFrame>();
  readonly #bigEndian: boolean;
  #converter: FormatConverter | undefined;
  #transferring = false;
  #resolveEnded!: (r: EndedReason) => void;

  constructor(init: AriCallLegInit) {
    super();
    this.#o = init;
    this.id = init.channelId;
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.inputFormat = init.format;
    this.outputFormat = init.format;
    this.#bigEndian = init.format.encoding === 'pcm16';
    this.ended = new Promise((r) => {
      this.#resolveEnded = r;
    });
  }

  get audio(): AsyncIterable<AudioFrame> {
    return this.#audio;
  }

  // ---- Asterisk → leg ----

  /** A frame from the RTP session's playout. */
  deliverFrame(frame: AudioFrame): void {
    if (this.endedReason) return;
    this.#audio.push(this.#bigEndian ? { format: this.inputFormat, data: swap16(frame.data) } : frame);
  }

  deliverDtmf(digit: string): void {
    if (!this.endedReason) this.emit('dtmf', digit);
  }

  /** The channel left the application or hung up. */
  remoteEnded(reason: EndedReason): void {
    if (this.endedReason) return;
    this.#finish(this.#transferring ? 'transfer' : reason);
    this.emit('hangup', this.endedReason ?? reason);
  }

  // ---- engine → Asterisk ----

  play(frame: AudioFrame): void {
    const rtp = this.rtp;
    if (this.endedReason || !rtp) return;
    if (!this.#bigEndian) {
      rtp.send(frame);
      return;
    }
    let f = frame;
    if (!sameFormat(frame.format, this.outputFormat)) {
      this.#converter ??= new FormatConverter(frame.format, this.outputFormat);
      f = this.#converter.convert(frame);
    }
    rtp.send({ format: this.outputFormat, data: swap16(f.data) });
  }

  clear(): void {
    this.rtp?.clear();
  }

  async sendDtmf(digits: string): Promise<void> {
    if (this.endedReason) return;
    await this.#o.client.request('POST', `/channels/${encodeURIComponent(this.id)}/dtmf`, { dtmf: digits });
  }

  /**
   * A channel technology endpoint (`PJSIP/200`, `SIP/…`) is a redirect; anything else is an
   * extension the channel continues to in its own dialplan context.
   */
  async transfer(target: string): Promise<void> {
    if (this.endedReason) throw new Error('the call has already ended');
    const id = encodeURIComponent(this.id);
    this.#transferring = true;
    try {
      if (/^[A-Za-z][\w-]*\/./.test(target)) {
        await this.#o.client.request('POST', `/channels/${id}/redirect`, { endpoint: target });
      } else {
        await this.#o.client.request('POST', `/channels/${id}/continue`, {
          context: this.#o.context,
          extension: target,
          priority: 1,
        });
      }
    } catch (e) {
      this.#transferring = false;
      throw e;
    }
  }

  consult(target: string, options: ConsultOptions): Promise<ConsultLeg> {
    if (this.endedReason || !this.#o.consult) return Promise.reject(new Error('the call has already ended'));
    return this.#o.consult(this, target, options);
  }

  /**
   * A warm transfer bridged this channel in Asterisk: its audio here stops, and what happens to
   * the channel from now on is the Stasis application's. The caller's audio is not closed: the
   * session ends as transferred, not as a hang-up.
   */
  handOver(): void {
    this.rtp?.close();
    this.rtp = undefined;
  }

  async hangup(reason: EndedReason = 'agent-ended'): Promise<void> {
    if (this.endedReason) return;
    this.#finish(reason);
    await this.#o.client
      .request('DELETE', `/channels/${encodeURIComponent(this.id)}`, { reason: 'normal' })
      .catch((e: unknown) =>
        this.#o.logger.debug(
          { callId: this.id, err: (e as Error).message },
          'ARI hangup failed; the channel may be gone',
        ),
      );
  }

  #finish(reason: EndedReason): void {
    this.endedReason = reason;
    this.#audio.close();
    this.rtp?.close();
    this.#converter?.destroy();
    this.#resolveEnded(reason);
    this.#o.onFinished(this);
  }
}

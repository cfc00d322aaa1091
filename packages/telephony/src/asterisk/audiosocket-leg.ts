/**
 * One AudioSocket connection as a `CallLeg`. Asterisk decides the audio rate (the dialplan app
 * always sends slin 8 kHz; the channel driver sends the slin kind it was asked for), so the leg
 * adopts the rate of the first audio frame and answers in the same kind: no codec guessing.
 * Agent frames are written as they come — the engine paces them — so nothing is queued here
 * beyond the socket's own buffer.
 */
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { CallDirection, EndedReason, Logger } from '@switchboard/core';
import { type CallLeg, Channel } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  FormatConverter,
  generateDtmfTone,
  PCM16_8K,
  type SampleRate,
  sameFormat,
  silence,
} from '@switchboard/media';
import { AudioSocketKind, audioKindForRate, encodeAudioSocketFrame } from './audiosocket-codec.js';
import type { AvrCallDetails } from './avr-call-hook.js';

/** Rates the media package converts between; other AudioSocket kinds are refused. */
const SUPPORTED_RATES: ReadonlySet<number> = new Set([8000, 16000, 24000, 48000]);

export const isSupportedAudioRate = (rate: number): rate is SampleRate => SUPPORTED_RATES.has(rate);

export interface AudioSocketLegInit {
  /** The AudioSocket UUID Asterisk sent. */
  id: string;
  socket: net.Socket;
  logger: Logger;
  /** What the pre-call hook announced for this UUID, if anything. */
  announced?: AvrCallDetails | undefined;
  /** Caller audio held for a consumer that is not reading before frames are dropped. */
  maxQueuedFrames?: number;
  /** Outgoing bytes queued on the socket past which agent audio is dropped (a stalled peer). */
  maxBufferedBytes?: number;
}

export interface AudioSocketLegStats {
  framesIn: number;
  framesOut: number;
  droppedIn: number;
  droppedOut: number;
  /** Frames of this call that could not be used (unknown kind, odd payload, unsupported rate). */
  malformed: number;
}

const DTMF_TONE_MS = 100;
const DTMF_GAP_MS = 60;

export class AudioSocketLeg extends EventEmitter implements CallLeg {
  readonly id: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly connector = 'asterisk';
  readonly announced: AvrCallDetails | undefined;
  readonly ended: Promise<EndedReason>;
  readonly stats: AudioSocketLegStats = {
    framesIn: 0,
    framesOut: 0,
    droppedIn: 0,
    droppedOut: 0,
    malformed: 0,
  };
  endedReason: EndedReason | undefined;
  readonly #socket: net.Socket;
  readonly #log: Logger;
  readonly #audio = new Channel<AudioFrame>();
  readonly #maxQueued: number;
  readonly #maxBuffered: number;
  readonly #converters = new Map<string, FormatConverter>();
  #format: AudioFormat = PCM16_8K;
  #kind: number = AudioSocketKind.Audio;
  #resolveEnded!: (r: EndedReason) => void;

  constructor(init: AudioSocketLegInit) {
    super();
    this.id = init.id;
    this.direction = 'inbound';
    this.announced = init.announced;
    this.from = init.announced?.from ?? '';
    this.to = init.announced?.to ?? '';
    this.#socket = init.socket;
    this.#log = init.logger;
    this.#maxQueued = init.maxQueuedFrames ?? 500;
    this.#maxBuffered = init.maxBufferedBytes ?? 256 * 1024;
    this.ended = new Promise((r) => {
      this.#resolveEnded = r;
    });
  }

  /** slin 8 kHz until the first audio frame says otherwise. */
  get inputFormat(): AudioFormat {
    return this.#format;
  }

  get outputFormat(): AudioFormat {
    return this.#format;
  }

  get audio(): AsyncIterable<AudioFrame> {
    return this.#audio;
  }

  // ---- Asterisk → leg (called by the server's connection handler) ----

  /** Sets the call's rate from the first audio frame; later frames must keep it. */
  adoptRate(rate: SampleRate): void {
    if (this.stats.framesIn > 0) return;
    const kind = audioKindForRate(rate);
    if (kind === undefined) return;
    this.#format = { encoding: 'pcm16', sampleRate: rate };
    this.#kind = kind;
  }

  deliverAudio(sampleRate: number, payload: Buffer): void {
    if (this.endedReason) return;
    if (sampleRate !== this.#format.sampleRate) {
      this.noteMalformed(`audio at ${sampleRate} Hz in a ${this.#format.sampleRate} Hz call`);
      return;
    }
    if (this.#audio.size >= this.#maxQueued) {
      this.stats.droppedIn++;
      return;
    }
    if (this.#audio.push({ format: this.#format, data: payload })) this.stats.framesIn++;
  }

  deliverDtmf(digit: string): void {
    if (!this.endedReason) this.emit('dtmf', digit);
  }

  /** A frame of this call that could not be used: counted, logged only a few times. */
  noteMalformed(what: string): void {
    const n = ++this.stats.malformed;
    if (n <= 3 || n % 1000 === 0)
      this.#log.warn({ callId: this.id, count: n }, `ignored AudioSocket frame: ${what}`);
  }

  /**
   * The call ended on the connection's side: Asterisk hung up (kind 0x00, an error frame, the
   * socket closed) or broke the protocol (`tellPeer` then sends the hangup kind first).
   */
  remoteEnded(reason: EndedReason, tellPeer = false): void {
    if (this.endedReason) return;
    this.#finish(reason);
    if (tellPeer && !this.#socket.destroyed)
      this.#socket.write(encodeAudioSocketFrame(AudioSocketKind.Hangup));
    this.#socket.end();
    this.emit('hangup', reason);
  }

  // ---- engine → Asterisk ----

  play(frame: AudioFrame): void {
    if (this.endedReason || this.#socket.destroyed || !this.#socket.writable) {
      this.stats.droppedOut++;
      return;
    }
    if (this.#socket.writableLength > this.#maxBuffered) {
      if (this.stats.droppedOut++ === 0)
        this.#log.warn({ callId: this.id }, 'AudioSocket peer backed up; dropping audio');
      return;
    }
    const out = sameFormat(frame.format, this.#format) ? frame : this.#converter(frame.format).convert(frame);
    if (out.data.byteLength === 0) return;
    // Asterisk rejects zero-length and odd-length payloads; the u16 length caps one frame.
    for (let off = 0; off < out.data.byteLength; off += 65534) {
      const chunk = out.data.subarray(off, Math.min(out.data.byteLength, off + 65534));
      this.#socket.write(encodeAudioSocketFrame(this.#kind, chunk));
    }
    this.stats.framesOut++;
  }

  /** Frames are written as they are played, so there is no queue of ours to drop. */
  clear(): void {}

  async sendDtmf(digits: string): Promise<void> {
    // AudioSocket has no DTMF kind towards Asterisk: play the tones in band.
    for (const d of digits) {
      this.play(generateDtmfTone(d, this.#format, DTMF_TONE_MS));
      this.play(silence(this.#format, DTMF_GAP_MS));
    }
  }

  async transfer(_target: string): Promise<void> {
    throw new Error('AudioSocket cannot transfer; continue in the dialplan after AudioSocket() or use ARI');
  }

  async hangup(reason: EndedReason = 'agent-ended'): Promise<void> {
    if (this.endedReason) return;
    this.#finish(reason);
    if (!this.#socket.destroyed) {
      this.#socket.write(encodeAudioSocketFrame(AudioSocketKind.Hangup));
      this.#socket.end();
    }
  }

  #finish(reason: EndedReason): void {
    this.endedReason = reason;
    this.#audio.close();
    for (const c of this.#converters.values()) c.destroy();
    this.#converters.clear();
    this.#resolveEnded(reason);
  }

  #converter(from: AudioFormat): FormatConverter {
    const key = `${from.encoding}/${from.sampleRate}`;
    let c = this.#converters.get(key);
    if (!c) {
      c = new FormatConverter(from, this.#format);
      this.#converters.set(key, c);
    }
    return c;
  }
}

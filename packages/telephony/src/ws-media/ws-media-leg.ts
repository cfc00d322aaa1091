/**
 * A call carried over a carrier's bidirectional media WebSocket (Twilio, Plivo, Telnyx), as a
 * `CallLeg`. The carrier-specific parts are small: how a media/mark/clear message is spelled
 * (`WsLegWire`) and which REST calls hang up, transfer or send digits (`WsLegControl`). The
 * connector's socket handler feeds carrier events in through `deliverAudio`, `deliverDtmf`,
 * `markEchoed` and `carrierEnded`.
 */
import { EventEmitter } from 'node:events';
import type { CallDirection, EndedReason, Logger } from '@switchboard/core';
import { type CallLeg, Channel, type MachineVerdict } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  FormatAdapter,
  frameDurationMs,
  generateDtmfTone,
  MULAW_8K,
  silence,
} from '@switchboard/media';
import { encodeBase64 } from './base64.js';
import { MarkTracker } from './mark-tracker.js';
import { type MediaSocket, WS_OPEN } from './media-socket.js';

export interface WsLegWire {
  /** The message that plays `payload` (base64 audio in the leg's output format). */
  media(payload: string): string;
  /** The message asking for an echo once everything before it has played. */
  mark(name: string): string;
  /** The message that drops audio the carrier has buffered. */
  clear(): string;
  /** A socket message that plays digits into the call, for carriers that have one. */
  dtmf?(digits: string): string;
}

export interface WsLegControl {
  /** Ends the call at the carrier (REST); the socket is closed afterwards either way. */
  hangup(): Promise<void>;
  /** Moves the caller to `target` at the carrier (REST); the stream ends afterwards. */
  transfer(target: string): Promise<void>;
  /** Plays digits through a REST action, for carriers that have one. */
  sendDtmf?(digits: string): Promise<void>;
}

export interface WsMediaLegInit {
  /**
   * The carrier's answering-machine verdict as the media arrives; `pending` when it comes later
   * (`setMachineVerdict`); absent: the carrier was not asked (`unknown`).
   */
  machineVerdict?: MachineVerdict | 'pending';
  id: string;
  direction: CallDirection;
  from: string;
  to: string;
  connector: string;
  socket: MediaSocket;
  wire: WsLegWire;
  control: WsLegControl;
  logger: Logger;
  /** Carrier audio format both ways (μ-law 8 kHz for every carrier here). */
  format?: AudioFormat;
  /** Audio between two marks; smaller means finer playback tracking and more messages. */
  markEveryMs?: number;
  /** Caller audio held for a consumer that is not reading before frames are dropped. */
  maxQueuedFrames?: number;
  /** Outgoing bytes queued on the socket past which agent audio is dropped (a stalled carrier). */
  maxBufferedBytes?: number;
}

export interface WsLegStats {
  framesIn: number;
  framesOut: number;
  /** Caller frames dropped because nobody read `audio` fast enough. */
  droppedIn: number;
  /** Agent frames dropped because the socket was closed or backed up. */
  droppedOut: number;
  /** Carrier messages of this call that could not be used (bad base64, no digit, …). */
  malformed: number;
  clears: number;
}

const DTMF_TONE_MS = 100;
const DTMF_GAP_MS = 60;
/** A short idle after the last frame closes the open mark, so the tail of a reply is tracked. */
const MARK_IDLE_MS = 60;

export class WsMediaLeg extends EventEmitter implements CallLeg {
  readonly id: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly connector: string;
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  /**
   * Twilio, Plivo and Telnyx place outbound calls with their own answering-machine detection; its
   * verdict arrives with the media (Twilio, Plivo) or later, as a webhook (Telnyx).
   */
  readonly machineVerdict: Promise<MachineVerdict>;
  #settleVerdict!: (v: MachineVerdict) => void;
  /** Settles with the reason once the leg has ended, from either side. */
  readonly ended: Promise<EndedReason>;
  readonly stats: WsLegStats = {
    framesIn: 0,
    framesOut: 0,
    droppedIn: 0,
    droppedOut: 0,
    malformed: 0,
    clears: 0,
  };
  endedReason: EndedReason | undefined;
  readonly #socket: MediaSocket;
  readonly #wire: WsLegWire;
  readonly #control: WsLegControl;
  readonly #log: Logger;
  readonly #audio = new Channel<AudioFrame>();
  readonly #marks = new MarkTracker();
  readonly #markEveryMs: number;
  readonly #maxQueued: number;
  readonly #maxBuffered: number;
  readonly #out: FormatAdapter;
  #markTimer: NodeJS.Timeout | undefined;
  #transferred = false;
  #resolveEnded!: (r: EndedReason) => void;

  constructor(init: WsMediaLegInit) {
    super();
    this.id = init.id;
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.connector = init.connector;
    this.machineVerdict = new Promise((resolve) => {
      this.#settleVerdict = resolve;
    });
    if (init.machineVerdict !== 'pending') this.#settleVerdict(init.machineVerdict ?? 'unknown');
    this.inputFormat = init.format ?? MULAW_8K;
    this.outputFormat = init.format ?? MULAW_8K;
    this.#out = new FormatAdapter(this.outputFormat);
    this.#socket = init.socket;
    this.#wire = init.wire;
    this.#control = init.control;
    this.#log = init.logger;
    this.#markEveryMs = init.markEveryMs ?? 100;
    this.#maxQueued = init.maxQueuedFrames ?? 500;
    this.#maxBuffered = init.maxBufferedBytes ?? 1 << 20;
    this.ended = new Promise((r) => {
      this.#resolveEnded = r;
    });
  }

  /** The carrier's verdict arrived after the media (a Telnyx webhook); later ones are ignored. */
  setMachineVerdict(v: MachineVerdict): void {
    this.#settleVerdict(v);
  }

  get audio(): AsyncIterable<AudioFrame> {
    return this.#audio;
  }

  /** Agent audio the carrier confirmed as played (through mark echoes). */
  get playedMs(): number {
    return this.#marks.playedMs;
  }

  /** Agent audio handed to the carrier, played or not. */
  get sentMs(): number {
    return this.#marks.sentMs;
  }

  // ---- carrier → leg (called by the connector's socket handler) ----

  /** Caller audio, passed on untouched: the engine decides whether it needs decoding. */
  deliverAudio(data: Uint8Array): void {
    if (this.endedReason) return;
    if (this.#audio.size >= this.#maxQueued) {
      this.stats.droppedIn++;
      return;
    }
    if (this.#audio.push({ format: this.inputFormat, data })) this.stats.framesIn++;
  }

  deliverDtmf(digit: string): void {
    if (!this.endedReason) this.emit('dtmf', digit);
  }

  markEchoed(name: string): void {
    const what = this.#marks.echo(name);
    if (what === 'played') this.emit('played', { name, playedMs: this.#marks.playedMs });
    else if (what === 'unknown') this.#log.debug({ mark: name }, 'ignored an unknown mark echo');
  }

  /** A message of this call the connector could not use: counted, logged only a few times. */
  noteMalformed(what: string): void {
    const n = ++this.stats.malformed;
    if (n <= 3 || n % 1000 === 0)
      this.#log.warn({ callId: this.id, count: n }, `ignored carrier message: ${what}`);
  }

  /** The carrier ended the stream (stop message or socket close). */
  carrierEnded(reason: EndedReason): void {
    if (this.endedReason) return;
    this.#finish(this.#transferred ? 'transfer' : reason);
    this.#closeSocket();
    this.emit('hangup', this.endedReason ?? reason);
  }

  // ---- engine → carrier ----

  play(frame: AudioFrame): void {
    if (this.endedReason || this.#socket.readyState !== WS_OPEN) {
      this.stats.droppedOut++;
      return;
    }
    if (this.#socket.bufferedAmount > this.#maxBuffered) {
      if (this.stats.droppedOut++ === 0)
        this.#log.warn({ callId: this.id }, 'carrier socket backed up; dropping audio');
      return;
    }
    const out = this.#out.convert(frame);
    if (out.data.byteLength === 0) return;
    this.#socket.send(this.#wire.media(encodeBase64(out.data)));
    this.stats.framesOut++;
    this.#marks.addAudio(frameDurationMs(out));
    if (this.#marks.unmarkedMs >= this.#markEveryMs) this.#sendMark();
    else this.#armMarkTimer();
  }

  clear(): void {
    if (this.endedReason || this.#socket.readyState !== WS_OPEN) return;
    this.#marks.clear();
    this.#stopMarkTimer();
    this.#socket.send(this.#wire.clear());
    this.stats.clears++;
  }

  async sendDtmf(digits: string): Promise<void> {
    if (this.endedReason) return;
    if (this.#wire.dtmf) {
      this.#socket.send(this.#wire.dtmf(digits));
      return;
    }
    if (this.#control.sendDtmf) {
      await this.#control.sendDtmf(digits);
      return;
    }
    // No carrier primitive: play the tones in band through the media stream, which the carrier
    // buffers and plays in order with the agent's audio.
    for (const d of digits) {
      this.play(generateDtmfTone(d, this.outputFormat, DTMF_TONE_MS));
      this.play(silence(this.outputFormat, DTMF_GAP_MS));
    }
  }

  async transfer(target: string): Promise<void> {
    if (this.endedReason) throw new Error('the call has already ended');
    await this.#control.transfer(target);
    this.#transferred = true;
  }

  async hangup(reason: EndedReason = 'agent-ended'): Promise<void> {
    if (this.endedReason) return;
    this.#finish(reason);
    try {
      await this.#control.hangup();
    } catch (e) {
      // Closing the socket below ends the stream anyway; the carrier then ends the call.
      this.#log.warn(
        { callId: this.id, err: e instanceof Error ? e.message : String(e) },
        'REST hangup failed',
      );
    }
    this.#closeSocket();
  }

  // ---- internals ----

  #finish(reason: EndedReason): void {
    this.endedReason = reason;
    this.#audio.close();
    this.#stopMarkTimer();
    this.#out.destroy();
    this.#settleVerdict('unknown');
    this.#resolveEnded(reason);
  }

  #closeSocket(): void {
    if (this.#socket.readyState > WS_OPEN) return;
    try {
      this.#socket.close(1000, 'call ended');
    } catch {
      // already closing
    }
  }

  #stopMarkTimer(): void {
    if (this.#markTimer) clearTimeout(this.#markTimer);
    this.#markTimer = undefined;
  }

  #sendMark(): void {
    this.#stopMarkTimer();
    if (this.endedReason || this.#socket.readyState !== WS_OPEN) return;
    this.#socket.send(this.#wire.mark(this.#marks.next()));
  }

  #armMarkTimer(): void {
    // One timer per leg, pushed back by each frame: cheaper than a new timer per frame.
    if (this.#markTimer) this.#markTimer.refresh();
    else {
      this.#markTimer = setTimeout(() => {
        if (this.#marks.unmarkedMs > 0) this.#sendMark();
      }, MARK_IDLE_MS);
      this.#markTimer.unref();
    }
  }
}

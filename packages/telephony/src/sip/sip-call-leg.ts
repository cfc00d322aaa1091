/**
 * A SIP dialog with its RTP session, presented as a `CallLeg`. It translates in-dialog SIP
 * (BYE, re-INVITE, NOTIFY, INFO) and RTP into leg events and back, and owns every timer and the
 * RTP socket of the call: `finish` releases them all, whichever side ends the call.
 */
import { EventEmitter } from 'node:events';
import { type CallDirection, type EndedReason, farEndHangup } from '@switchboard/core';
import { type CallLeg, ConsultFailed, type ConsultLeg, type ConsultOptions } from '@switchboard/engine';
import type { AudioFormat, AudioFrame } from '@switchboard/media';
import { type Dialog, dialogRequest } from './dialog.js';
import type { FrameQueue } from './frame-queue.js';
import { getHeader, parseCSeq } from './headers.js';
import type { SipRequest, SipResponse } from './message.js';
import type { DialOptions } from './outbound-call.js';
import { handleReInvite } from './reinvite.js';
import { makeResponse } from './response.js';
import type { RtpSession, RtpSessionStats } from './rtp-session.js';
import { SipDialError } from './sip-errors.js';
import { ALLOW, type SipStack } from './stack.js';
import { parseUri } from './uri.js';

export type SipLegState = 'early' | 'confirmed' | 'ended';

export interface SipCallLegInit {
  id: string;
  direction: CallDirection;
  from: string;
  to: string;
  format: AudioFormat;
  stack: SipStack;
  dialog: Dialog;
  audio: FrameQueue<AudioFrame>;
  /** Our SDP (answer or offer), resent unchanged on re-INVITEs. */
  localSdp: string;
  codecs: readonly string[];
  /** Places a second call (warm transfer). */
  dial?(options: DialOptions): Promise<SipCallLeg>;
  /** Ends a call that was never answered (UAS: a final error response; UAC: CANCEL). */
  onEarlyHangup?(reason: EndedReason): void;
  /** Called once when the leg has ended and released its resources. */
  onFinished(leg: SipCallLeg): void;
}

export class SipCallLeg extends EventEmitter implements CallLeg {
  readonly id: string;
  readonly direction: CallDirection;
  readonly from: string;
  readonly to: string;
  readonly connector = 'sip';
  readonly inputFormat: AudioFormat;
  readonly outputFormat: AudioFormat;
  /** Settles with the reason once the leg has ended, from either side. */
  readonly ended: Promise<EndedReason>;
  state: SipLegState = 'early';
  endedReason: EndedReason | undefined;
  rtp: RtpSession | undefined;
  /** Our ACK for the 2xx of an outbound call, resent when the 2xx is retransmitted. */
  lastAck: SipRequest | undefined;
  readonly dialog: Dialog;
  readonly localSdp: string;
  readonly codecs: readonly string[];
  readonly stack: SipStack;
  private readonly queue: FrameQueue<AudioFrame>;
  private readonly cancels = new Set<() => void>();
  private resolveEnded!: (r: EndedReason) => void;
  private transferring = false;
  /** The leg this one is bridged to (warm transfer): its audio goes there and its BYE ends both. */
  private bridged: SipCallLeg | undefined;
  /** Stops the 2xx retransmission waiting for the ACK of this CSeq. */
  private pendingAck: { seq: number; stop(): void } | undefined;

  constructor(private readonly init: SipCallLegInit) {
    super();
    this.id = init.id;
    this.direction = init.direction;
    this.from = init.from;
    this.to = init.to;
    this.inputFormat = init.format;
    this.outputFormat = init.format;
    this.dialog = init.dialog;
    this.localSdp = init.localSdp;
    this.codecs = init.codecs;
    this.stack = init.stack;
    this.queue = init.audio;
    this.ended = new Promise((r) => {
      this.resolveEnded = r;
    });
  }

  get audio(): AsyncIterable<AudioFrame> {
    return this.queue;
  }

  /** Timers this leg still holds (0 once it has ended). */
  get activeTimers(): number {
    return this.cancels.size;
  }

  get rtpStats(): RtpSessionStats | undefined {
    return this.rtp?.stats;
  }

  play(frame: AudioFrame): void {
    if (this.state !== 'ended') this.rtp?.send(frame);
  }

  clear(): void {
    // RTP has no far-end buffer to flush: frames are sent as they are played.
    this.rtp?.clear();
  }

  async sendDtmf(digits: string): Promise<void> {
    if (this.state === 'ended' || !this.rtp) throw new Error('call is not connected');
    await this.rtp.sendDtmf(digits);
  }

  /** Blind transfer (RFC 3515): REFER, then the leg ends with 'transfer' once the far end moved. */
  async transfer(target: string): Promise<void> {
    if (this.state !== 'confirmed') throw new Error('call is not connected');
    const referTo = /^(sips?|tel):/i.test(target) ? target : `sip:${target}@${this.remoteHost()}`;
    this.transferring = true;
    const res = await this.inDialog('REFER', [
      { name: 'Refer-To', value: `<${referTo}>` },
      { name: 'Referred-By', value: `<${this.dialog.localUri.replace(/^.*<|>.*$/g, '')}>` },
    ]);
    if (res.status !== 202 && res.status !== 200) {
      this.transferring = false;
      throw new Error(`transfer refused with ${res.status} ${res.reason}`);
    }
  }

  /**
   * Warm transfer: calls `target` (a SIP URI, or a number through the trunk) while this call stays
   * up; the answered call can then be bridged to this one, RTP relayed by the platform.
   */
  async consult(target: string, o: ConsultOptions): Promise<ConsultLeg> {
    if (this.state !== 'confirmed' || !this.init.dial)
      throw new ConsultFailed('failed', 'call is not connected');
    const ours = this.direction === 'inbound' ? this.to : this.from;
    let person: SipCallLeg;
    try {
      person = await this.init.dial({
        to: target,
        ...(/^\+?[0-9]{3,20}$/.test(ours) ? { from: ours } : {}),
        timeoutMs: o.timeoutMs,
        signal: o.signal,
      });
    } catch (e) {
      const outcome = e instanceof SipDialError ? e.outcome : 'failed';
      const reason =
        outcome === 'busy' || outcome === 'no-answer' || outcome === 'rejected' ? outcome : 'failed';
      throw new ConsultFailed(reason, e instanceof Error ? e.message : String(e));
    }
    return {
      outputFormat: person.outputFormat,
      play: (frame) => person.play(frame),
      ended: person.ended,
      bridge: async () => this.bridge(person),
      hangup: () => person.hangup('transfer'),
    };
  }

  /** Relays RTP between this call and `other` until either hangs up, then ends the other too. */
  bridge(other: SipCallLeg): void {
    if (this.state !== 'confirmed') throw new Error('the caller has hung up');
    if (other.state !== 'confirmed') throw new Error('the transfer target has hung up');
    this.bridged = other;
    other.bridged = this;
  }

  /** Sends our SDP again in a re-INVITE (session refresh) and ACKs the answer. */
  async reinvite(): Promise<void> {
    if (this.state !== 'confirmed') throw new Error('call is not connected');
    const res = await this.inDialog(
      'INVITE',
      [{ name: 'Content-Type', value: 'application/sdp' }],
      this.localSdp,
    );
    if (res.status < 200 || res.status >= 300) throw new Error(`re-INVITE refused with ${res.status}`);
    const t = this.dialog.peer.transport;
    const seq = parseCSeq(getHeader(res, 'cseq') ?? '').seq;
    this.lastAck = dialogRequest(this.dialog, 'ACK', {
      via: this.stack.via(t),
      contact: '',
      userAgent: this.stack.userAgent,
      cseq: seq,
    });
    this.stack.send(this.lastAck, this.dialog.peer);
  }

  async hangup(reason: EndedReason = 'agent-ended'): Promise<void> {
    if (this.state === 'ended') return;
    if (this.state === 'early') {
      this.init.onEarlyHangup?.(reason);
      this.finish(reason, false);
      return;
    }
    const bye = this.inDialog('BYE');
    this.finish(reason, false);
    await bye.catch(() => undefined);
  }

  /** Ends a connected call for a network reason: BYE to the peer and a `hangup` event. */
  terminate(reason: EndedReason): void {
    if (this.state === 'ended') return;
    if (this.state === 'confirmed') void this.inDialog('BYE').catch(() => undefined);
    this.finish(reason, true);
  }

  /** Marks the dialog confirmed (answer sent or received). */
  confirm(): void {
    if (this.state === 'early') this.state = 'confirmed';
  }

  /** Owned timer: cancelled when the leg ends. */
  timer(fn: () => void, ms: number): () => void {
    const cancel = this.stack.clock.schedule(() => {
      this.cancels.delete(cancel);
      fn();
    }, ms);
    this.cancels.add(cancel);
    return () => {
      if (this.cancels.delete(cancel)) cancel();
    };
  }

  pushFrame = (frame: AudioFrame): void => {
    if (this.bridged) this.bridged.play(frame);
    else this.queue.push(frame);
  };
  pushDigit = (digit: string): void => {
    if (this.state !== 'ended') this.emit('dtmf', digit);
  };

  /** Sends a 2xx to an INVITE and repeats it (T1 doubling to T2) until the ACK; BYE after 64·T1. */
  sendReliable2xx(req: SipRequest, res: SipResponse): void {
    this.pendingAck?.stop();
    const seq = parseCSeq(getHeader(req, 'cseq') ?? '').seq;
    this.stack.respond(req, res);
    let interval = this.stack.timers.t1Ms;
    let cancel = () => {};
    const again = () => {
      this.stack.send(res, this.dialog.peer);
      interval = Math.min(interval * 2, this.stack.timers.t2Ms);
      cancel = this.timer(again, interval);
    };
    if (this.dialog.peer.transport === 'udp') cancel = this.timer(again, interval);
    const giveUp = this.timer(() => {
      this.stack.logger.warn({ callId: this.id }, 'no ACK for 2xx; ending the call');
      this.terminate('connector-error');
    }, 64 * this.stack.timers.t1Ms);
    this.pendingAck = {
      seq,
      stop: () => {
        cancel();
        giveUp();
      },
    };
  }

  /** A request inside this dialog (the server matched Call-ID and tags). */
  onRequest(req: SipRequest): void {
    const m = req.method;
    if (m === 'ACK') {
      const seq = parseCSeq(getHeader(req, 'cseq') ?? '').seq;
      if (this.pendingAck?.seq === seq) {
        this.pendingAck.stop();
        this.pendingAck = undefined;
      }
      return;
    }
    const seq = parseCSeq(getHeader(req, 'cseq') ?? '').seq;
    if (seq < this.dialog.remoteSeq) {
      this.reply(req, 500, 'CSeq out of order');
      return;
    }
    this.dialog.remoteSeq = seq;
    if (m === 'BYE') {
      this.reply(req, 200);
      this.finish(this.transferring ? 'transfer' : farEndHangup(this.direction), true);
    } else if (m === 'INVITE') {
      handleReInvite(this, req);
    } else if (m === 'NOTIFY') {
      this.reply(req, 200);
      this.onNotify(req);
    } else if (m === 'INFO') {
      this.reply(req, 200);
      const signal = /Signal\s*=\s*([0-9*#A-D])/i.exec(req.body.toString('utf8'));
      if (signal?.[1] && getHeader(req, 'content-type')?.includes('dtmf')) this.pushDigit(signal[1]);
    } else if (m === 'OPTIONS') {
      this.reply(req, 200, undefined, [{ name: 'Allow', value: ALLOW }]);
    } else this.reply(req, 501);
  }

  reply(
    req: SipRequest,
    status: number,
    reason?: string,
    headers: Array<{ name: string; value: string }> = [],
  ): void {
    this.stack.respond(req, makeResponse(req, status, reason, { toTag: this.dialog.localTag, headers }));
  }

  /** Ends the leg and releases everything it owns; `emit` when the far end or the network ended it. */
  finish(reason: EndedReason, emit: boolean): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endedReason = reason;
    this.pendingAck = undefined;
    for (const c of this.cancels) c();
    this.cancels.clear();
    this.rtp?.close();
    this.queue.close();
    const bridged = this.bridged;
    this.bridged = undefined;
    if (bridged) {
      bridged.bridged = undefined;
      void bridged.hangup('transfer');
    }
    this.init.onFinished(this);
    if (emit) this.emit('hangup', reason);
    this.resolveEnded(reason);
  }

  inDialog(
    method: string,
    headers: Array<{ name: string; value: string }> = [],
    body?: string,
  ): Promise<SipResponse> {
    const t = this.dialog.peer.transport;
    const req = dialogRequest(this.dialog, method, {
      via: this.stack.via(t),
      contact: this.stack.contact(t),
      userAgent: this.stack.userAgent,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    return this.stack.request(req, this.dialog.peer);
  }

  private onNotify(req: SipRequest): void {
    if (!this.transferring || !/^refer/i.test(getHeader(req, 'event') ?? '')) return;
    const m = /^SIP\/2\.0 (\d{3})/.exec(req.body.toString('utf8'));
    const status = Number(m?.[1] ?? 0);
    if (status >= 200 && status < 300) {
      void this.inDialog('BYE').catch(() => undefined);
      this.finish('transfer', true);
    } else if (status >= 300) {
      this.transferring = false;
      this.stack.logger.warn({ callId: this.id, status }, 'transfer target did not answer; call continues');
    }
  }

  private remoteHost(): string {
    try {
      const u = parseUri(this.dialog.remoteTarget);
      return u.port ? `${u.host}:${u.port}` : u.host;
    } catch {
      return this.dialog.peer.address;
    }
  }
}

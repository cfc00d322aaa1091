import type dgram from 'node:dgram';
import type { Logger } from '@switchboard/core';
import { ALAW_8K, type AudioFormat, type AudioFrame, type Clock, MULAW_8K } from '@switchboard/media';
import type { SipMessage, SipRequest, SipResponse } from './message.js';
import type { DialOptions } from './outbound-call.js';
import type { RtpSession } from './rtp-session.js';
import type { AudioAnswer } from './sdp-negotiate.js';
import type { SipCallLeg } from './sip-call-leg.js';
import type { ClientTxHandlers, SipTimers } from './transactions.js';
import type { SipPeer, SipTransportName } from './transport.js';

/** What calls need from the server that owns them: sending, addressing, timers. */
export interface SipStack {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly timers: SipTimers;
  readonly userAgent: string;
  /** Address put in Via, Contact and SDP. */
  readonly advertisedAddress: string;
  /** A Via value for a new request from us, with a fresh branch. */
  via(transport: SipTransportName): string;
  contact(transport: SipTransportName, user?: string): string;
  /** Sends through a client transaction; resolves with the final response. */
  request(req: SipRequest, peer: SipPeer, handlers?: ClientTxHandlers): Promise<SipResponse>;
  /** Sends without a transaction (ACK for 2xx, 2xx retransmissions). */
  send(message: SipMessage, peer: SipPeer): void;
  /** Sends a response through the request's server transaction. */
  respond(req: SipRequest, res: SipResponse): void;
}

export const ALLOW = 'INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, INFO';

/** The media a call ended up with after offer/answer. */
export interface NegotiatedMedia {
  payloadType: number;
  format: AudioFormat;
  telephoneEventPt?: number;
  ptimeMs: number;
  remote: { address: string; port: number };
  /** False when the peer holds the call (it will not send RTP). */
  theySend: boolean;
}

export function negotiatedMedia(choice: AudioAnswer): NegotiatedMedia {
  const alaw = choice.codec.name.toUpperCase() === 'PCMA';
  const media: NegotiatedMedia = {
    payloadType: choice.codec.pt,
    format: alaw ? ALAW_8K : MULAW_8K,
    ptimeMs: choice.ptimeMs,
    remote: { address: choice.remote.address, port: choice.remote.port },
    theySend: choice.direction === 'sendrecv' || choice.direction === 'recvonly',
  };
  if (choice.telephoneEvent) media.telephoneEventPt = choice.telephoneEvent.pt;
  return media;
}

export interface RtpSink {
  onFrame(frame: AudioFrame): void;
  onDtmf(digit: string): void;
  onTimeout(): void;
}

/** What the server gives the inbound and outbound call flows beyond plain sending. */
export interface SipCallContext extends SipStack {
  readonly codecs: readonly string[];
  readonly mediaTimeoutMs: number;
  allocateRtp(): Promise<dgram.Socket>;
  startRtp(socket: dgram.Socket, media: NegotiatedMedia, sink: RtpSink, callId: string): RtpSession;
  /** Adds a confirmed leg to the dialog table. */
  adopt(leg: SipCallLeg): void;
  /** Removes an ended leg from the dialog table. */
  release(leg: SipCallLeg): void;
  /** Places a call of our own (the second call of a warm transfer). */
  dial(options: DialOptions): Promise<SipCallLeg>;
}

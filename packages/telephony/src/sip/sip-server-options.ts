import type { Logger } from '@switchboard/core';
import type { Clock } from '@switchboard/media';
import type { SipCallLeg } from './sip-call-leg.js';
import type { SipTimers } from './transactions.js';
import type { SipTransportName } from './transport.js';

export type SipCodecName = 'PCMU' | 'PCMA';

/** A SIP trunk (carrier or PBX) for E.164 destinations and, optionally, REGISTER. */
export interface SipTrunk {
  /** e.g. `sip:sip.example.net:5060` or `sip:pbx.local;transport=tcp`. */
  uri: string;
  username?: string;
  password?: string;
  transport?: SipTransportName;
}

export interface InboundCallInfo {
  /** User part of the Request-URI (the dialled number), else the To user. */
  to: string;
  /** User part of From (the caller's number or name). */
  from: string;
  callId: string;
  /** Every header of the INVITE, lowercased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
}

/**
 * Decides an inbound call while the caller hears ringing: resolve (or return) to answer, throw
 * `SipReject` to refuse. Start the call's session without awaiting it here: the call is answered
 * only after this returns.
 */
export type OnSipCall = (leg: SipCallLeg, info: InboundCallInfo) => Promise<void> | void;

export interface SipServerOptions {
  /** Address to bind (SIP_HOST); default 127.0.0.1. */
  host?: string;
  /** SIP port (SIP_PORT); 0 picks a free one. Default 5060. */
  port?: number;
  /** SIP_TRANSPORTS; default ['udp', 'tcp']. */
  transports?: SipTransportName[];
  /** Address written into Via, Contact and SDP when it differs from `host` (SIP_ADVERTISED_ADDRESS). */
  advertisedAddress?: string;
  /** RTP_PORT_MIN / RTP_PORT_MAX; default [40000, 40999]. */
  rtpPortRange?: [number, number];
  /** Codec preference; default ['PCMU', 'PCMA']. */
  codecs?: SipCodecName[];
  userAgent?: string;
  logger?: Logger;
  onCall?: OnSipCall;
  clock?: Clock;
  /** SIP_TRUNK_URI / SIP_TRUNK_USERNAME / SIP_TRUNK_PASSWORD: the default for E.164 dialling. */
  trunk?: SipTrunk;
  /** No RTP for this long ends a call with 'connector-error'; default 30 000, 0 disables. */
  mediaTimeoutMs?: number;
  /** Protocol timers; shorter values make tests of retransmission quick. */
  timers?: Partial<SipTimers>;
  /** Challenge inbound INVITEs with digest auth (for a PBX-facing or test UAS). */
  auth?: { realm: string; users: Record<string, string> };
  /** Observes each outbound RTP packet (benchmarks measure pacing with it). */
  onRtpSend?(callId: string, atMs: number): void;
  /**
   * False while the process is shutting down: OPTIONS then answers 503 with Retry-After, so a
   * proxy probing with OPTIONS (Kamailio's dispatcher) takes this instance out of its set before
   * it sends it another call. Default: always available.
   */
  available?(): boolean;
}

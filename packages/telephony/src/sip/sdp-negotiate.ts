/**
 * Audio offer/answer for a G.711 UA (RFC 3264): pick one codec and telephone-event from an
 * offer, and write the answer (or a fresh offer) SDP.
 */
import { isIP } from 'node:net';
import {
  type MediaDirection,
  mediaConnection,
  mediaDirection,
  mediaPtime,
  type RtpPayload,
  rtpPayloads,
  type SdpAttribute,
  type SdpMedia,
  type SessionDescription,
  serializeSdp,
} from './sdp.js';

export interface NegotiateOptions {
  /** Encoding names we accept, most preferred first (e.g. ['PCMU', 'PCMA']). */
  codecs: readonly string[];
  /** Accept RFC 4733 DTMF when offered. */
  telephoneEvent: boolean;
}

export interface AudioAnswer {
  kind: 'answer';
  /** Index of the chosen m= line; every other m= line must be rejected (port 0) in the answer. */
  mediaIndex: number;
  codec: RtpPayload;
  telephoneEvent?: RtpPayload;
  /** Where to send RTP. 0.0.0.0 / :: means the offerer holds the call (RFC 3264 §8.4). */
  remote: { address: string; port: number; family: 4 | 6 };
  /** Offered ptime, else 20. */
  ptimeMs: number;
  /** The direction we put in the answer (the mirror of the offer's). */
  direction: MediaDirection;
}

/** The offer cannot be accepted: answer 488 Not Acceptable Here. */
export interface NoCommonCodec {
  kind: 'no-common-codec';
  reason: string;
}

const ANSWER_DIRECTION: Record<MediaDirection, MediaDirection> = {
  sendrecv: 'sendrecv',
  sendonly: 'recvonly',
  recvonly: 'sendonly',
  inactive: 'inactive',
};

// Plain RTP only: SRTP (SAVP) and DTLS profiles need keys this UA does not negotiate.
const RTP_PROFILES = new Set(['RTP/AVP', 'RTP/AVPF']);

export function negotiateAudio(
  offer: SessionDescription,
  options: NegotiateOptions,
): AudioAnswer | NoCommonCodec {
  let reason = 'no audio stream offered';
  for (const [mediaIndex, m] of offer.media.entries()) {
    if (m.media.toLowerCase() !== 'audio') continue;
    if (m.port === 0) {
      reason = 'audio stream rejected by the offerer (port 0)';
      continue;
    }
    if (!RTP_PROFILES.has(m.protocol.toUpperCase())) {
      reason = `unsupported media profile ${m.protocol}`;
      continue;
    }
    const conn = mediaConnection(offer, m);
    const family = conn ? isIP(conn.address) : 0;
    if (!conn || (family !== 4 && family !== 6)) {
      reason = 'audio stream without a usable connection address';
      continue;
    }
    const payloads = rtpPayloads(m);
    const codec = pickCodec(payloads, options.codecs);
    if (!codec) {
      reason = 'no common codec';
      continue;
    }
    const answer: AudioAnswer = {
      kind: 'answer',
      mediaIndex,
      codec,
      remote: { address: conn.address, port: m.port, family },
      ptimeMs: mediaPtime(offer, m) ?? 20,
      direction: ANSWER_DIRECTION[mediaDirection(offer, m)],
    };
    if (options.telephoneEvent) {
      const te = payloads.find(
        (p) => p.name.toLowerCase() === 'telephone-event' && p.clockRate === codec.clockRate,
      );
      if (te) answer.telephoneEvent = te;
    }
    return answer;
  }
  return { kind: 'no-common-codec', reason };
}

function pickCodec(payloads: RtpPayload[], preferred: readonly string[]): RtpPayload | undefined {
  for (const name of preferred) {
    const found = payloads.find(
      (p) => p.name.toLowerCase() === name.toLowerCase() && (p.channels ?? 1) === 1,
    );
    if (found) return found;
  }
  return undefined;
}

export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6) and port. */
  address: string;
  port: number;
  /** o= fields; keep sessionId for the dialog and bump sessionVersion only when the SDP changes. */
  sessionId: string | number;
  sessionVersion: string | number;
  username?: string;
  sessionName?: string;
}

export interface OfferMedia {
  payloads: RtpPayload[];
  ptimeMs?: number;
  direction?: MediaDirection;
}

const addrType = (address: string): string => (isIP(address) === 6 ? 'IP6' : 'IP4');

function audioSection(local: LocalMedia, media: OfferMedia): SdpMedia {
  const attributes: SdpAttribute[] = [];
  for (const p of media.payloads) {
    const channels = p.channels && p.channels !== 1 ? `/${p.channels}` : '';
    attributes.push({ name: 'rtpmap', value: `${p.pt} ${p.name}/${p.clockRate}${channels}` });
    if (p.fmtp !== undefined) attributes.push({ name: 'fmtp', value: `${p.pt} ${p.fmtp}` });
  }
  if (media.ptimeMs !== undefined) attributes.push({ name: 'ptime', value: String(media.ptimeMs) });
  attributes.push({ name: media.direction ?? 'sendrecv' });
  return {
    media: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    formats: media.payloads.map((p) => String(p.pt)),
    attributes,
    other: [],
  };
}

function session(local: LocalMedia, media: SdpMedia[]): SessionDescription {
  const type = addrType(local.address);
  return {
    version: 0,
    origin: {
      username: local.username ?? '-',
      sessionId: String(local.sessionId),
      sessionVersion: String(local.sessionVersion),
      netType: 'IN',
      addrType: type,
      address: local.address,
    },
    sessionName: local.sessionName ?? 'switchboard',
    connection: { netType: 'IN', addrType: type, address: local.address },
    timing: ['0 0'],
    attributes: [],
    other: [],
    media,
  };
}

/** An SDP with one audio stream: our offer for an outbound call, or a re-INVITE body. */
export function buildSdp(local: LocalMedia, media: OfferMedia): string {
  return serializeSdp(session(local, [audioSection(local, media)]));
}

/**
 * The answer to `offer`: the same number and order of m= lines (RFC 3264 §6), the chosen stream
 * with our codec, telephone-event and direction, every other stream rejected with port 0.
 */
export function buildAnswer(offer: SessionDescription, choice: AudioAnswer, local: LocalMedia): string {
  const media = offer.media.map((m, i): SdpMedia => {
    if (i === choice.mediaIndex) {
      const payloads = choice.telephoneEvent ? [choice.codec, choice.telephoneEvent] : [choice.codec];
      return audioSection(local, { payloads, ptimeMs: choice.ptimeMs, direction: choice.direction });
    }
    return {
      media: m.media,
      port: 0,
      protocol: m.protocol,
      formats: m.formats.slice(0, 1),
      attributes: [],
      other: [],
    };
  });
  return serializeSdp(session(local, media));
}

/**
 * RTP packet codec (RFC 3550 §5.1) and just enough RTCP (§6) to recognise RTCP arriving on the
 * RTP port (rtcp-mux, RFC 5761) and set it aside. Parsed payloads are views into the input
 * buffer, not copies: copy them before the buffer is reused.
 */
import { RtpParseError } from './errors.js';

export interface RtpHeaderExtension {
  /** The 16-bit profile-defined value (0xBEDE for RFC 8285 one-byte headers). */
  profile: number;
  /** Extension data, a multiple of 4 bytes. */
  data: Uint8Array;
}

export interface RtpPacket {
  version: 2;
  /** Padding bytes after the payload (including the count byte); 0 when the P bit is clear. */
  padding: number;
  extension?: RtpHeaderExtension;
  csrc: number[];
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** RTCP packet types 200-204 (SR, RR, SDES, BYE, APP) land in the RTP PT field as 72-76 + M. */
export function isRtcp(buf: Uint8Array): boolean {
  const b1 = buf[1];
  return buf.length >= 8 && ((buf[0] ?? 0) & 0xc0) === 0x80 && b1 !== undefined && b1 >= 200 && b1 <= 204;
}

export function parseRtp(buf: Uint8Array): RtpPacket {
  if (buf.length < 12) throw new RtpParseError('RTP packet shorter than 12 bytes');
  const dv = view(buf);
  const b0 = dv.getUint8(0);
  const b1 = dv.getUint8(1);
  if (b0 >> 6 !== 2) throw new RtpParseError('RTP version is not 2');
  if (isRtcp(buf)) throw new RtpParseError('RTCP packet, not RTP');
  const cc = b0 & 0x0f;
  let offset = 12 + cc * 4;
  if (buf.length < offset) throw new RtpParseError('RTP packet shorter than its CSRC list');
  const csrc: number[] = [];
  for (let i = 0; i < cc; i++) csrc.push(dv.getUint32(12 + i * 4));
  let extension: RtpHeaderExtension | undefined;
  if (b0 & 0x10) {
    if (buf.length < offset + 4) throw new RtpParseError('RTP packet shorter than its extension header');
    const profile = dv.getUint16(offset);
    const words = dv.getUint16(offset + 2);
    const end = offset + 4 + words * 4;
    if (buf.length < end) throw new RtpParseError('RTP header extension longer than the packet');
    extension = { profile, data: buf.subarray(offset + 4, end) };
    offset = end;
  }
  let padding = 0;
  if (b0 & 0x20) {
    padding = dv.getUint8(buf.length - 1);
    if (padding === 0 || offset + padding > buf.length) throw new RtpParseError('bad RTP padding length');
  }
  const packet: RtpPacket = {
    version: 2,
    padding,
    csrc,
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: dv.getUint16(2),
    timestamp: dv.getUint32(4),
    ssrc: dv.getUint32(8),
    payload: buf.subarray(offset, buf.length - padding),
  };
  if (extension) packet.extension = extension;
  return packet;
}

export type RtpPacketInit = Partial<Omit<RtpPacket, 'version'>> &
  Pick<RtpPacket, 'payloadType' | 'sequence' | 'timestamp' | 'ssrc' | 'payload'>;

/** Writes a packet; `padding` bytes are zeros ending with the count (RFC 3550 §5.1). */
export function serializeRtp(p: RtpPacketInit): Buffer {
  const csrc = p.csrc ?? [];
  const padding = p.padding ?? 0;
  const ext = p.extension;
  if (csrc.length > 15) throw new RangeError('at most 15 CSRCs');
  if (padding < 0 || padding > 255) throw new RangeError('padding must be 0-255 bytes');
  if (ext && (ext.data.length % 4 !== 0 || ext.data.length > 0xffff * 4)) {
    throw new RangeError('extension data must be a multiple of 4 bytes');
  }
  const headerLen = 12 + csrc.length * 4 + (ext ? 4 + ext.data.length : 0);
  const out = Buffer.alloc(headerLen + p.payload.length + padding);
  out[0] = 0x80 | (padding > 0 ? 0x20 : 0) | (ext ? 0x10 : 0) | csrc.length;
  out[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  out.writeUInt16BE(p.sequence & 0xffff, 2);
  out.writeUInt32BE(p.timestamp >>> 0, 4);
  out.writeUInt32BE(p.ssrc >>> 0, 8);
  let offset = 12;
  for (const c of csrc) {
    out.writeUInt32BE(c >>> 0, offset);
    offset += 4;
  }
  if (ext) {
    out.writeUInt16BE(ext.profile & 0xffff, offset);
    out.writeUInt16BE(ext.data.length / 4, offset + 2);
    out.set(ext.data, offset + 4);
    offset += 4 + ext.data.length;
  }
  out.set(p.payload, offset);
  if (padding > 0) out[out.length - 1] = padding;
  return out;
}

export interface RtcpPacketHeader {
  /** 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP. */
  packetType: number;
  /** Report / source count (5 bits). */
  count: number;
  /** Whole packet length in bytes, header included. */
  length: number;
  /** Sender SSRC (first word after the header). */
  ssrc: number;
}

/** Splits a compound RTCP packet into its packets' headers; contents are not interpreted. */
export function parseRtcp(buf: Uint8Array): RtcpPacketHeader[] {
  const dv = view(buf);
  const out: RtcpPacketHeader[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < 8) throw new RtpParseError('RTCP packet shorter than 8 bytes');
    const b0 = dv.getUint8(offset);
    const packetType = dv.getUint8(offset + 1);
    const length = (dv.getUint16(offset + 2) + 1) * 4;
    if (b0 >> 6 !== 2) throw new RtpParseError('RTCP version is not 2');
    if (packetType < 192 || packetType > 223) throw new RtpParseError('not an RTCP packet type');
    if (offset + length > buf.length) throw new RtpParseError('RTCP length past the end of the datagram');
    out.push({ packetType, count: b0 & 0x1f, length, ssrc: dv.getUint32(offset + 4) });
    offset += length;
  }
  if (out.length === 0) throw new RtpParseError('empty RTCP packet');
  return out;
}

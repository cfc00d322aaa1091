/**
 * SDP parse/serialise (RFC 4566) for the audio offer/answer a small UA does. Lines the UA does not
 * interpret (i=, b=, k=, ...) are kept so that serialising a parsed description loses nothing.
 */
import { SdpParseError } from './errors.js';
import { hasControlChars } from './syntax.js';

export interface SdpOrigin {
  username: string;
  sessionId: string;
  sessionVersion: string;
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpConnection {
  netType: string;
  /** IP4 or IP6. */
  addrType: string;
  /** Without a multicast /ttl/count suffix. */
  address: string;
}

export interface SdpAttribute {
  name: string;
  /** undefined for property attributes such as `a=sendrecv`. */
  value?: string;
}

/** A line the UA keeps but does not interpret. */
export interface SdpLine {
  type: string;
  value: string;
}

export interface SdpMedia {
  /** audio, video, application, ... */
  media: string;
  /** 0 means the stream is rejected or disabled. */
  port: number;
  portCount?: number;
  /** RTP/AVP, RTP/SAVP, ... */
  protocol: string;
  /** Payload type numbers for RTP profiles, as written. */
  formats: string[];
  connection?: SdpConnection;
  attributes: SdpAttribute[];
  other: SdpLine[];
}

export interface SessionDescription {
  version: number;
  origin: SdpOrigin;
  sessionName: string;
  connection?: SdpConnection;
  /** `t=` lines as written, e.g. `0 0`. */
  timing: string[];
  attributes: SdpAttribute[];
  other: SdpLine[];
  media: SdpMedia[];
}

const MAX_LINES = 2000;

function parseConnection(value: string): SdpConnection {
  const [netType = '', addrType = '', addr = '', ...rest] = value.split(' ');
  if (rest.length > 0 || netType === '' || addrType === '' || addr === '')
    throw new SdpParseError('bad c= line');
  const address = addr.split('/')[0] ?? '';
  if (address === '') throw new SdpParseError('bad c= address');
  return { netType, addrType, address };
}

function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  if (name === '' || /\s/.test(name)) throw new SdpParseError('bad a= line');
  return colon < 0 ? { name } : { name, value: value.slice(colon + 1) };
}

function parseMediaLine(value: string): SdpMedia {
  const m = /^(\S+) (\d{1,5})(?:\/(\d{1,5}))? (\S+)((?: \S+)*)$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new SdpParseError('bad m= line');
  const media: SdpMedia = {
    media: m[1] ?? '',
    port,
    protocol: m[4] ?? '',
    formats: (m[5] ?? '').split(' ').filter((f) => f !== ''),
    attributes: [],
    other: [],
  };
  if (m[3] !== undefined) media.portCount = Number(m[3]);
  return media;
}

export function parseSdp(text: string | Uint8Array): SessionDescription {
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  const lines = s.split(/\r?\n/).filter((l) => l !== '');
  if (lines.length > MAX_LINES) throw new SdpParseError('too many SDP lines');
  let origin: SdpOrigin | undefined;
  let version: number | undefined;
  let sessionName: string | undefined;
  const session: Omit<SessionDescription, 'origin' | 'version' | 'sessionName'> = {
    timing: [],
    attributes: [],
    other: [],
    media: [],
  };
  let current: SdpMedia | undefined;
  for (const line of lines) {
    if (line.length < 2 || line[1] !== '=' || !/^[a-z]$/.test(line[0] ?? '')) {
      throw new SdpParseError('SDP line is not <type>=<value>');
    }
    if (hasControlChars(line)) throw new SdpParseError('control character in SDP');
    const type = line[0] ?? '';
    const value = line.slice(2);
    if (type === 'v') {
      if (version !== undefined || current || value !== '0')
        throw new SdpParseError('bad or repeated v= line');
      version = 0;
    } else if (version === undefined) {
      throw new SdpParseError('SDP does not start with v=0');
    } else if (type === 'm') {
      current = parseMediaLine(value);
      session.media.push(current);
    } else if (type === 'c') {
      const c = parseConnection(value);
      if (current) current.connection = c;
      else session.connection = c;
    } else if (type === 'a') {
      (current ?? session).attributes.push(parseAttribute(value));
    } else if (current) {
      current.other.push({ type, value });
    } else if (type === 'o') {
      const [
        username = '',
        sessionId = '',
        sessionVersion = '',
        netType = '',
        addrType = '',
        address = '',
        ...rest
      ] = value.split(' ');
      if (origin || address === '' || rest.length > 0) throw new SdpParseError('bad o= line');
      origin = { username, sessionId, sessionVersion, netType, addrType, address };
    } else if (type === 's') {
      if (sessionName !== undefined) throw new SdpParseError('repeated s= line');
      sessionName = value;
    } else if (type === 't') {
      session.timing.push(value);
    } else {
      session.other.push({ type, value });
    }
  }
  if (version === undefined || !origin || sessionName === undefined) {
    throw new SdpParseError('SDP lacks v=, o= or s=');
  }
  return { version, origin, sessionName, ...session };
}

function formatConnection(c: SdpConnection): string {
  return `c=${c.netType} ${c.addrType} ${c.address}\r\n`;
}

function formatAttributes(attrs: SdpAttribute[]): string {
  return attrs
    .map((a) => (a.value === undefined ? `a=${a.name}\r\n` : `a=${a.name}:${a.value}\r\n`))
    .join('');
}

/** Lines of the given types, in the order the types are listed (RFC 4566 §5 line order). */
function formatLines(other: SdpLine[], types: string): string {
  let out = '';
  for (const t of types) for (const l of other) if (l.type === t) out += `${l.type}=${l.value}\r\n`;
  return out;
}

/** Lines of letters outside `known`, kept in their original order before the attributes. */
const formatUnknown = (other: SdpLine[], known: string): string =>
  other
    .filter((l) => !known.includes(l.type))
    .map((l) => `${l.type}=${l.value}\r\n`)
    .join('');

/** Writes lines in RFC 4566 order with CRLF line ends. */
export function serializeSdp(sd: SessionDescription): string {
  const o = sd.origin;
  let out = `v=${sd.version}\r\n`;
  out += `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}\r\n`;
  out += `s=${sd.sessionName}\r\n`;
  out += formatLines(sd.other, 'iuep');
  if (sd.connection) out += formatConnection(sd.connection);
  out += formatLines(sd.other, 'b');
  for (const t of sd.timing.length > 0 ? sd.timing : ['0 0']) out += `t=${t}\r\n`;
  out += formatLines(sd.other, 'rzk') + formatUnknown(sd.other, 'iuepbrzk');
  out += formatAttributes(sd.attributes);
  for (const m of sd.media) {
    const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
    out += `m=${[m.media, port, m.protocol, ...m.formats].join(' ')}\r\n`;
    out += formatLines(m.other, 'i');
    if (m.connection) out += formatConnection(m.connection);
    out += formatLines(m.other, 'bk') + formatUnknown(m.other, 'ibk');
    out += formatAttributes(m.attributes);
  }
  return out;
}

export interface RtpPayload {
  pt: number;
  /** Encoding name as offered, e.g. PCMU, telephone-event. */
  name: string;
  clockRate: number;
  channels?: number;
  fmtp?: string;
}

/** RFC 3551 static payload types that may appear without an rtpmap. */
const STATIC_PAYLOADS: Record<number, [string, number]> = {
  0: ['PCMU', 8000],
  3: ['GSM', 8000],
  4: ['G723', 8000],
  8: ['PCMA', 8000],
  9: ['G722', 8000],
  18: ['G729', 8000],
};

const attr = (attrs: SdpAttribute[], name: string) => attrs.filter((a) => a.name.toLowerCase() === name);

/** The media section's payload types, with rtpmap/fmtp applied and static defaults filled in. */
export function rtpPayloads(m: SdpMedia): RtpPayload[] {
  const out: RtpPayload[] = [];
  for (const f of m.formats) {
    if (!/^\d{1,3}$/.test(f) || Number(f) > 127) continue;
    const pt = Number(f);
    const map = attr(m.attributes, 'rtpmap').find((a) => a.value?.split(' ')[0] === f);
    const fmtp = attr(m.attributes, 'fmtp').find((a) => a.value?.split(' ')[0] === f);
    const spec = /^\d+ ([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(map?.value ?? '');
    let payload: RtpPayload | undefined;
    if (spec) payload = { pt, name: spec[1] ?? '', clockRate: Number(spec[2]) };
    else if (STATIC_PAYLOADS[pt])
      payload = { pt, name: STATIC_PAYLOADS[pt][0], clockRate: STATIC_PAYLOADS[pt][1] };
    if (!payload) continue;
    if (spec?.[3] !== undefined) payload.channels = Number(spec[3]);
    const params = fmtp?.value?.slice(f.length).trim();
    if (params) payload.fmtp = params;
    out.push(payload);
  }
  return out;
}

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** Media-level direction, else session-level, else sendrecv (RFC 3264 §5.1). */
export function mediaDirection(sd: SessionDescription, m: SdpMedia): MediaDirection {
  const find = (attrs: SdpAttribute[]) => attrs.find((a) => DIRECTIONS.includes(a.name.toLowerCase()));
  const a = find(m.attributes) ?? find(sd.attributes);
  return (a?.name.toLowerCase() as MediaDirection | undefined) ?? 'sendrecv';
}

/** `a=ptime` in ms at media level, else session level; undefined when absent or malformed. */
export function mediaPtime(sd: SessionDescription, m: SdpMedia): number | undefined {
  const a = attr(m.attributes, 'ptime')[0] ?? attr(sd.attributes, 'ptime')[0];
  const ms = Number(a?.value?.trim());
  return Number.isFinite(ms) && ms > 0 && ms <= 1000 ? ms : undefined;
}

/** Media-level `c=`, else session-level. */
export const mediaConnection = (sd: SessionDescription, m: SdpMedia): SdpConnection | undefined =>
  m.connection ?? sd.connection;

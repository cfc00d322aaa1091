/**
 * fast-check generators of valid wire messages, shared by the property tests and fuzz/run.ts.
 * Test support only: nothing in the package's runtime code imports this file.
 */
import fc from 'fast-check';
import { type AudioSocketFrame, AudioSocketKind } from '../asterisk/audiosocket-codec.js';
import { formatCSeq, formatVia, type SipHeader, type SipVia } from '../sip/headers.js';
import type { SipMessage } from '../sip/message.js';
import type { RtpPacketInit } from '../sip/rtp.js';
import type { SdpAttribute, SdpConnection, SdpMedia, SessionDescription } from '../sip/sdp.js';
import type { SipParams } from '../sip/syntax.js';
import { formatNameAddr, formatUri, type NameAddr, type SipUri } from '../sip/uri.js';

export const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);
const lowerToken = fc.stringMatching(/^[a-z0-9\-._]{1,10}$/);
const paramValue = fc.stringMatching(/^[A-Za-z0-9\-_.!~*]{1,12}$/);
/** Printable ASCII, trimmed: what header values, reasons and SDP text look like after parsing. */
const text = fc.stringMatching(/^[\x20-\x7e]{0,40}$/).map((s) => s.trim());

const domain = fc.stringMatching(/^[a-z0-9]{1,10}(\.[a-z0-9-]{1,10}){0,2}$/);
export const host = fc.oneof(domain, fc.ipV4(), fc.ipV6());
const port = fc.integer({ min: 0, max: 65535 });

function params(name: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<SipParams> {
  return fc
    .uniqueArray(fc.tuple(name, fc.option(value, { nil: null })), { maxLength: 4, selector: ([n]) => n })
    .map((entries) => new Map(entries));
}

export const sipUri: fc.Arbitrary<SipUri> = fc
  .record(
    {
      scheme: fc.constantFrom('sip' as const, 'sips' as const),
      user: fc.stringMatching(/^[A-Za-z0-9\-_.!~*'()&=+$,;?/%]{1,12}$/),
      password: fc.stringMatching(/^[A-Za-z0-9]{1,8}$/),
      host,
      port,
      params: params(lowerToken, paramValue),
      headers: fc.array(
        fc.tuple(fc.stringMatching(/^[A-Za-z0-9]{1,6}$/), fc.stringMatching(/^[A-Za-z0-9]{0,6}$/)),
        {
          maxLength: 2,
        },
      ),
    },
    { noNullPrototype: true, requiredKeys: ['scheme', 'host', 'params', 'headers'] },
  )
  .map((u) => {
    // A password is only written after a user.
    if (u.user === undefined) delete u.password;
    return u;
  });

const quotedValue = fc.stringMatching(/^[A-Za-z0-9 :<>@,;]{0,12}$/).map((s) => `"${s}"`);

export const nameAddr: fc.Arbitrary<NameAddr> = fc
  .record(
    {
      displayName: fc.oneof(
        fc.stringMatching(/^[A-Za-z0-9]{1,8}( [A-Za-z0-9]{1,8}){0,2}$/),
        fc.stringMatching(/^[\x20-\x7e]{1,20}$/),
        fc.constantFrom('Zoë Ångström', 'José "Pepe" \\ N'),
      ),
      uri: sipUri.map((u) => `${u.scheme}:${u.user ?? 'x'}@${u.host.includes(':') ? `[${u.host}]` : u.host}`),
      params: params(lowerToken, fc.oneof(paramValue, quotedValue)),
    },
    { noNullPrototype: true, requiredKeys: ['uri', 'params'] },
  )
  .filter((na) => na.displayName === undefined || na.displayName.trim() === na.displayName);

export const via: fc.Arbitrary<SipVia> = fc.record(
  {
    protocol: fc.constant('SIP/2.0'),
    transport: fc.constantFrom('UDP', 'TCP', 'TLS', 'WS'),
    host,
    port,
    params: fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9]{4,16}$/), fc.option(fc.ipV4(), { nil: undefined }), fc.boolean())
      .map(([b, received, rport]) => {
        const p: SipParams = new Map([['branch', `z9hG4bK${b}`]]);
        if (received) p.set('received', received);
        if (rport) p.set('rport', null);
        return p;
      }),
  },
  { noNullPrototype: true, requiredKeys: ['protocol', 'transport', 'host', 'params'] },
);

const extraHeader: fc.Arbitrary<SipHeader> = fc.record(
  { name: fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), value: text },
  { noNullPrototype: true },
);

/** A request or response without Content-Length (serialisation adds it). */
export const sipMessage: fc.Arbitrary<SipMessage> = fc
  .record({
    start: fc.oneof(
      fc.record({
        kind: fc.constant('request' as const),
        method: fc.oneof(fc.constantFrom('INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER'), token),
        uri: sipUri,
      }),
      fc.record({
        kind: fc.constant('response' as const),
        status: fc.integer({ min: 100, max: 699 }),
        reason: fc.stringMatching(/^[\x20-\x7e]{0,20}$/),
      }),
    ),
    vias: fc.array(via, { minLength: 1, maxLength: 3 }),
    from: nameAddr,
    to: nameAddr,
    callId: fc.stringMatching(/^[A-Za-z0-9.@-]{1,30}$/),
    seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    extra: fc.array(extraHeader, { maxLength: 4 }),
    body: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  })
  .map(buildMessage);

function buildMessage(r: {
  start:
    | { kind: 'request'; method: string; uri: SipUri }
    | { kind: 'response'; status: number; reason: string };
  vias: SipVia[];
  from: NameAddr;
  to: NameAddr;
  callId: string;
  seq: number;
  extra: SipHeader[];
  body: Buffer;
}): SipMessage {
  const method = r.start.kind === 'request' ? r.start.method : 'INVITE';
  const headers: SipHeader[] = [
    ...r.vias.map((v) => ({ name: 'Via', value: formatVia(v) })),
    { name: 'From', value: formatNameAddr(r.from) },
    { name: 'To', value: formatNameAddr(r.to) },
    { name: 'Call-ID', value: r.callId },
    { name: 'CSeq', value: formatCSeq({ seq: r.seq, method }) },
    ...r.extra,
  ];
  if (r.start.kind === 'request') {
    return {
      kind: 'request',
      method,
      uri: formatUri(r.start.uri),
      version: 'SIP/2.0',
      headers,
      body: r.body,
    };
  }
  return {
    kind: 'response',
    status: r.start.status,
    reason: r.start.reason,
    version: 'SIP/2.0',
    headers,
    body: r.body,
  };
}

const sdpText = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,20}$/);
const sdpWord = fc.stringMatching(/^[A-Za-z0-9.+\-_]{1,12}$/);

const connection: fc.Arbitrary<SdpConnection> = fc.oneof(
  fc.ipV4().map((address) => ({ netType: 'IN', addrType: 'IP4', address })),
  fc.ipV6().map((address) => ({ netType: 'IN', addrType: 'IP6', address })),
);

const attribute: fc.Arbitrary<SdpAttribute> = fc.record(
  { name: fc.stringMatching(/^[A-Za-z0-9\-_]{1,12}$/), value: fc.stringMatching(/^[\x20-\x7e]{0,24}$/) },
  { noNullPrototype: true, requiredKeys: ['name'] },
);

const sdpMedia: fc.Arbitrary<SdpMedia> = fc.record(
  {
    media: fc.constantFrom('audio', 'video', 'application'),
    port,
    portCount: fc.integer({ min: 1, max: 4 }),
    protocol: fc.constantFrom('RTP/AVP', 'RTP/SAVP', 'UDP/TLS/RTP/SAVPF'),
    formats: fc.array(fc.integer({ min: 0, max: 127 }).map(String), { minLength: 1, maxLength: 5 }),
    connection,
    attributes: fc.array(attribute, { maxLength: 6 }),
    other: fc.array(fc.record({ type: fc.constant('i'), value: sdpText }, { noNullPrototype: true }), {
      maxLength: 1,
    }),
  },
  { noNullPrototype: true, requiredKeys: ['media', 'port', 'protocol', 'formats', 'attributes', 'other'] },
);

export const sessionDescription: fc.Arbitrary<SessionDescription> = fc.record(
  {
    version: fc.constant(0),
    origin: fc.record(
      {
        username: sdpWord,
        sessionId: fc.bigInt({ min: 0n, max: 2n ** 63n }).map(String),
        sessionVersion: fc.nat().map(String),
        netType: fc.constant('IN'),
        addrType: fc.constant('IP4'),
        address: fc.ipV4(),
      },
      { noNullPrototype: true },
    ),
    sessionName: fc.oneof(fc.constant('-'), sdpText),
    connection,
    timing: fc.array(fc.constantFrom('0 0', '3034423619 3042462419'), { minLength: 1, maxLength: 2 }),
    attributes: fc.array(attribute, { maxLength: 4 }),
    other: fc.array(fc.record({ type: fc.constant('i'), value: sdpText }, { noNullPrototype: true }), {
      maxLength: 1,
    }),
    media: fc.array(sdpMedia, { maxLength: 3 }),
  },
  {
    noNullPrototype: true,
    requiredKeys: ['version', 'origin', 'sessionName', 'timing', 'attributes', 'other', 'media'],
  },
);

/** Any RTP packet except the marker+PT combinations that read as RTCP (RFC 5761 §4). */
export const rtpPacket: fc.Arbitrary<RtpPacketInit> = fc
  .record(
    {
      padding: fc.integer({ min: 1, max: 255 }),
      extension: fc.record({
        profile: fc.integer({ min: 0, max: 0xffff }),
        data: fc
          .integer({ min: 0, max: 8 })
          .chain((w) => fc.uint8Array({ minLength: w * 4, maxLength: w * 4 })),
      }),
      csrc: fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 15 }),
      marker: fc.boolean(),
      payloadType: fc.integer({ min: 0, max: 127 }),
      sequence: fc.integer({ min: 0, max: 0xffff }),
      timestamp: fc.nat({ max: 0xffffffff }),
      ssrc: fc.nat({ max: 0xffffffff }),
      payload: fc.uint8Array({ maxLength: 320 }),
    },
    {
      noNullPrototype: true,
      requiredKeys: ['marker', 'payloadType', 'sequence', 'timestamp', 'ssrc', 'payload'],
    },
  )
  .filter((p) => !(p.marker && p.payloadType >= 72 && p.payloadType <= 76));

type EncodableFrame = Exclude<AudioSocketFrame, { type: 'protocol-error' }>;

export const audioSocketFrame: fc.Arbitrary<EncodableFrame> = fc.oneof(
  fc.constant({ type: 'hangup' as const }),
  fc.uuid().map((uuid) => ({ type: 'uuid' as const, uuid })),
  fc.constantFrom(...'0123456789*#ABCD').map((digit) => ({ type: 'dtmf' as const, digit })),
  fc
    .tuple(
      fc.constantFrom(
        [AudioSocketKind.Audio, 8000],
        [AudioSocketKind.AudioSlin16, 16000],
        [AudioSocketKind.AudioSlin48, 48000],
        [AudioSocketKind.AudioSlin44, 44100],
      ),
      fc.integer({ min: 1, max: 400 }),
    )
    .chain(([[kind, sampleRate], samples]) =>
      fc
        .uint8Array({ minLength: samples * 2, maxLength: samples * 2 })
        .map((b) => ({ type: 'audio' as const, kind, sampleRate, payload: Buffer.from(b) })),
    ),
  fc
    .option(fc.integer({ min: 0, max: 255 }), { nil: undefined })
    .map((code) => (code === undefined ? { type: 'error' as const } : { type: 'error' as const, code })),
);

/** Cuts `buf` at the given fractions into consecutive chunks. */
export function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    chunks.push(buf.subarray(last, p));
    last = p;
  }
  chunks.push(buf.subarray(last));
  return chunks;
}

export const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });

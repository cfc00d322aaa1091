/**
 * Fuzz targets: one entry per parser, each taking raw bytes. A target returns normally or throws
 * the parser's typed error; anything else thrown is a crash. The corpus replay test and
 * fuzz/run.ts both drive these, so a saved crash stays a regression test.
 */
import { isDeepStrictEqual } from 'node:util';
import { AudioSocketParser } from '../asterisk/audiosocket-codec.js';
import { parseDigestChallenge, parseDigestCredentials, verifyDigest } from '../sip/digest.js';
import { DigestError, RtpParseError, SdpParseError, SipParseError } from '../sip/errors.js';
import { SipStreamFramer } from '../sip/framer.js';
import { getHeader, getHeaderValues, parseCSeq, parseVia, topVia } from '../sip/headers.js';
import { parseSipMessage, serializeSipMessage } from '../sip/message.js';
import { makeResponse } from '../sip/response.js';
import { decodeTelephoneEvent } from '../sip/rfc4733.js';
import { isRtcp, parseRtcp, parseRtp, serializeRtp } from '../sip/rtp.js';
import { parseSdp, rtpPayloads, serializeSdp } from '../sip/sdp.js';
import { buildAnswer, negotiateAudio } from '../sip/sdp-negotiate.js';
import { formatNameAddr, formatUri, parseNameAddr, parseUri } from '../sip/uri.js';

export interface FuzzTarget {
  /** Also the corpus folder name under fuzz/corpus/. */
  name: string;
  run(input: Buffer): void;
  /** Errors the target may throw on bad input. */
  expected(e: unknown): boolean;
}

/** A broken invariant: always a crash, never an expected parse error. */
class InvariantError extends Error {}

function invariant(ok: boolean, what: string): void {
  if (!ok) throw new InvariantError(what);
}

/** Runs `f`, swallowing the parser's typed error so later checks on the same input still run. */
function soft(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof SipParseError)) throw e;
  }
}

const sip: FuzzTarget = {
  name: 'sip',
  expected: (e) => e instanceof SipParseError,
  run(input) {
    const msg = parseSipMessage(input);
    const once = serializeSipMessage(msg);
    invariant(once.equals(serializeSipMessage(parseSipMessage(once))), 'serialize(parse(x)) is not stable');
    soft(() => topVia(msg));
    soft(() => {
      for (const v of getHeaderValues(msg, 'via')) parseVia(v);
    });
    for (const name of ['from', 'to', 'contact']) {
      soft(() => {
        const value = getHeader(msg, name);
        if (value === undefined || value === '*') return;
        const na = parseNameAddr(value);
        invariant(isDeepStrictEqual(parseNameAddr(formatNameAddr(na)), na), `${name} name-addr round trip`);
        soft(() => {
          const uri = parseUri(na.uri);
          invariant(isDeepStrictEqual(parseUri(formatUri(uri)), uri), 'URI round trip');
        });
      });
    }
    soft(() => parseCSeq(getHeader(msg, 'cseq') ?? ''));
    if (msg.kind === 'request') soft(() => serializeSipMessage(makeResponse(msg, 200)));
  },
};

const sipStream: FuzzTarget = {
  name: 'sip-stream',
  expected: () => false,
  run(input) {
    const whole = new SipStreamFramer({ maxMessageBytes: 4096 }).push(input);
    const bytewise = new SipStreamFramer({ maxMessageBytes: 4096 });
    const items = [];
    for (let i = 0; i < input.length; i += 7) items.push(...bytewise.push(input.subarray(i, i + 7)));
    const summary = (xs: typeof whole) =>
      xs.map((x) => (x.type === 'message' ? x.raw.toString('hex') : x.type));
    invariant(isDeepStrictEqual(summary(whole), summary(items)), 'framer output depends on chunking');
  },
};

const sipHeader: FuzzTarget = {
  name: 'sip-header',
  expected: (e) => e instanceof SipParseError || e instanceof DigestError,
  run(input) {
    const value = input.toString('utf8');
    soft(() => parseVia(value));
    soft(() => parseCSeq(value));
    soft(() => parseNameAddr(value));
    soft(() => parseUri(value));
    soft(() => parseDigestChallenge(value));
    soft(() => parseDigestCredentials(value));
    verifyDigest(value, { method: 'REGISTER', realm: 'switchboard', password: 'secret' });
  },
};

const sdp: FuzzTarget = {
  name: 'sdp',
  expected: (e) => e instanceof SdpParseError,
  run(input) {
    const sd = parseSdp(input);
    const text = serializeSdp(sd);
    invariant(serializeSdp(parseSdp(text)) === text, 'serialize(parse(x)) is not stable');
    for (const m of sd.media) rtpPayloads(m);
    const choice = negotiateAudio(sd, { codecs: ['PCMU', 'PCMA'], telephoneEvent: true });
    if (choice.kind === 'answer') {
      parseSdp(
        buildAnswer(sd, choice, { address: '127.0.0.1', port: 40000, sessionId: 1, sessionVersion: 1 }),
      );
    }
  },
};

const rtp: FuzzTarget = {
  name: 'rtp',
  expected: (e) => e instanceof RtpParseError,
  run(input) {
    if (isRtcp(input)) {
      parseRtcp(input);
      return;
    }
    const p = parseRtp(input);
    invariant(Buffer.from(serializeRtp(p)).equals(input) || p.padding > 0, 'RTP round trip');
    if (p.payload.length >= 4) decodeTelephoneEvent(p.payload);
  },
};

const audiosocket: FuzzTarget = {
  name: 'audiosocket',
  expected: () => false,
  run(input) {
    const whole = new AudioSocketParser({ maxPayloadBytes: 1024 }).push(input);
    const parser = new AudioSocketParser({ maxPayloadBytes: 1024 });
    const parts = [];
    for (let i = 0; i < input.length; i += 5) parts.push(...parser.push(input.subarray(i, i + 5)));
    invariant(isDeepStrictEqual(whole, parts), 'AudioSocket output depends on chunking');
  },
};

export const FUZZ_TARGETS: readonly FuzzTarget[] = [sip, sipStream, sipHeader, sdp, rtp, audiosocket];

/** Decodes a corpus file: `.hex` files are hex (whitespace and `#` comments ignored), others raw. */
export function decodeCorpusFile(name: string, content: Buffer): Buffer {
  if (!name.endsWith('.hex')) return content;
  const hex = content.toString('latin1').replace(/#.*$/gm, '').replace(/\s+/g, '');
  return Buffer.from(hex, 'hex');
}

/** Runs a target on one input; returns the crash, or undefined when it behaved. */
export function runTarget(target: FuzzTarget, input: Buffer): unknown {
  try {
    target.run(input);
    return undefined;
  } catch (e) {
    return target.expected(e) ? undefined : e;
  }
}

/**
 * Asterisk AudioSocket framing (res_audiosocket): `kind:u8 | length:u16 BE | payload`.
 * `AudioSocketParser.push` never throws: malformed frames come out as `protocol-error` items so
 * the connection owner decides whether to hang up. The protocol has no sync marker, so after a
 * bad length the stream cannot be trusted; an unknown kind with a sane length is skipped.
 */
import { AppError } from '@switchboard/core';

export const AudioSocketKind = {
  Hangup: 0x00,
  Uuid: 0x01,
  Dtmf: 0x03,
  Audio: 0x10,
  AudioSlin12: 0x11,
  AudioSlin16: 0x12,
  AudioSlin24: 0x13,
  AudioSlin32: 0x14,
  AudioSlin44: 0x15,
  AudioSlin48: 0x16,
  AudioSlin96: 0x17,
  AudioSlin192: 0x18,
  Error: 0xff,
} as const;

/** Sample rate of each audio kind (PCM s16 little-endian mono). 0x11-0x18 need recent Asterisk. */
export const AUDIO_KIND_RATES: ReadonlyMap<number, number> = new Map([
  [0x10, 8000],
  [0x11, 12000],
  [0x12, 16000],
  [0x13, 24000],
  [0x14, 32000],
  [0x15, 44100],
  [0x16, 48000],
  [0x17, 96000],
  [0x18, 192000],
]);

export function audioKindForRate(sampleRate: number): number | undefined {
  for (const [kind, rate] of AUDIO_KIND_RATES) if (rate === sampleRate) return kind;
  return undefined;
}

export type AudioSocketFrame =
  | { type: 'hangup' }
  /** Canonical lowercase 8-4-4-4-12 form of the 16-byte binary UUID. */
  | { type: 'uuid'; uuid: string }
  | { type: 'dtmf'; digit: string }
  | { type: 'audio'; kind: number; sampleRate: number; payload: Buffer }
  /** Error bit flags: 0x01 caller hung up, 0x02 frame forwarding error, 0x04 memory error. */
  | { type: 'error'; code?: number }
  | { type: 'protocol-error'; reason: string; kind?: number };

export class AudioSocketError extends AppError {
  constructor(message: string) {
    super('bad_request', message, { retryable: false });
    this.name = 'AudioSocketError';
  }
}

export interface AudioSocketParserOptions {
  /** Largest payload accepted (default 8192: 20 ms at 192 kHz is 7680 bytes). */
  maxPayloadBytes?: number;
}

const DTMF_RE = /^[0-9*#A-D]$/;

export class AudioSocketParser {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxPayload: number;
  /** Bytes of an over-long payload still to drop. */
  private discard = 0;

  constructor(options: AudioSocketParserOptions = {}) {
    this.maxPayload = options.maxPayloadBytes ?? 8192;
  }

  /** Bytes held while waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /**
   * Parses what `chunk` completes. Payloads are views of the pushed bytes (a socket read is its
   * own buffer, so a view pins at most that read), not copies: 50 frames a second per call. So a
   * pushed chunk must not be changed afterwards; only a partial frame's bytes are kept as a copy.
   */
  push(chunk: Uint8Array): AudioSocketFrame[] {
    let data: Buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.discard > 0) {
      const n = Math.min(this.discard, data.length);
      this.discard -= n;
      data = data.subarray(n);
    }
    const buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
    const out: AudioSocketFrame[] = [];
    let off = 0;
    while (buf.length - off >= 3) {
      const kind = buf[off] ?? 0;
      const length = buf.readUInt16BE(off + 1);
      if (length > this.maxPayload) {
        out.push({ type: 'protocol-error', reason: `payload of ${length} bytes exceeds the limit`, kind });
        const have = Math.min(buf.length - off - 3, length);
        this.discard = length - have;
        off += 3 + have;
        continue;
      }
      if (buf.length - off < 3 + length) break;
      out.push(decodeFrame(kind, buf.subarray(off + 3, off + 3 + length)));
      off += 3 + length;
    }
    this.buf = off === buf.length ? EMPTY : Buffer.from(buf.subarray(off));
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

export function decodeFrame(kind: number, payload: Buffer): AudioSocketFrame {
  const rate = AUDIO_KIND_RATES.get(kind);
  if (rate !== undefined) {
    if (payload.length === 0 || payload.length % 2 !== 0) {
      return { type: 'protocol-error', reason: 'audio payload is not whole 16-bit samples', kind };
    }
    return { type: 'audio', kind, sampleRate: rate, payload };
  }
  switch (kind) {
    case AudioSocketKind.Hangup:
      return { type: 'hangup' };
    case AudioSocketKind.Uuid:
      if (payload.length !== 16)
        return { type: 'protocol-error', reason: 'UUID payload is not 16 bytes', kind };
      return { type: 'uuid', uuid: bytesToUuid(payload) };
    case AudioSocketKind.Dtmf: {
      const digit = payload.toString('latin1').toUpperCase();
      if (!DTMF_RE.test(digit)) return { type: 'protocol-error', reason: 'bad DTMF payload', kind };
      return { type: 'dtmf', digit };
    }
    case AudioSocketKind.Error:
      return payload.length > 0 ? { type: 'error', code: payload[0] ?? 0 } : { type: 'error' };
    default:
      return { type: 'protocol-error', reason: `unknown frame kind 0x${kind.toString(16)}`, kind };
  }
}

export function encodeAudioSocketFrame(kind: number, payload: Uint8Array = new Uint8Array()): Buffer {
  if (!Number.isInteger(kind) || kind < 0 || kind > 0xff)
    throw new AudioSocketError('frame kind must be 0-255');
  if (payload.length > 0xffff) throw new AudioSocketError('payload longer than 65535 bytes');
  // Every byte is written below, so the pooled, unzeroed allocation is safe (one per frame sent).
  const out = Buffer.allocUnsafe(3 + payload.length);
  out[0] = kind;
  out.writeUInt16BE(payload.length, 1);
  out.set(payload, 3);
  return out;
}

/** The frame equivalent of a parsed item, for replying or for tests (protocol errors have none). */
export function encodeFrame(frame: Exclude<AudioSocketFrame, { type: 'protocol-error' }>): Buffer {
  switch (frame.type) {
    case 'hangup':
      return encodeAudioSocketFrame(AudioSocketKind.Hangup);
    case 'uuid':
      return encodeAudioSocketFrame(AudioSocketKind.Uuid, uuidToBytes(frame.uuid));
    case 'dtmf':
      return encodeAudioSocketFrame(AudioSocketKind.Dtmf, Buffer.from(frame.digit, 'latin1'));
    case 'audio':
      return encodeAudioSocketFrame(frame.kind, frame.payload);
    case 'error':
      return encodeAudioSocketFrame(
        AudioSocketKind.Error,
        frame.code === undefined ? undefined : Buffer.from([frame.code]),
      );
  }
}

export function bytesToUuid(b: Uint8Array): string {
  const hex = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new AudioSocketError('not a UUID');
  return Buffer.from(hex, 'hex');
}

/**
 * SIP message codec (RFC 3261 §7). `parseSipMessage` takes one whole message (a UDP datagram, or
 * one message cut from a stream by `SipStreamFramer`) and throws `SipParseError`, nothing else.
 */
import { SipParseError } from './errors.js';
import { canonicalHeaderName, getHeaders, type SipHeader, setHeader } from './headers.js';
import { hasControlChars, isToken } from './syntax.js';

export interface SipRequest {
  kind: 'request';
  method: string;
  /** Request-URI as written; `parseUri` it when needed (it may be tel: or another scheme). */
  uri: string;
  version: string;
  headers: SipHeader[];
  body: Buffer;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeader[];
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export interface ParseSipOptions {
  /**
   * `datagram` (default): a missing Content-Length means the rest of the datagram is the body.
   * `stream`: the input is exactly one framed message, so a missing Content-Length means no body.
   */
  transport?: 'datagram' | 'stream';
  /** Longest accepted input in bytes (default 65535, the largest UDP payload). */
  maxBytes?: number;
}

const MAX_HEADERS = 256;
const VERSION_RE = /^SIP\/\d{1,3}\.\d{1,3}$/i;

/** Finds the blank line ending the head: returns [headEnd, bodyStart] or undefined. */
export function findHeadEnd(buf: Buffer, from = 0): [number, number] | undefined {
  for (let i = buf.indexOf(0x0a, from); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    // Accept CRLF CRLF and, leniently, bare LF LF (some test tools and hand-written messages).
    if (buf[i + 1] === 0x0a) return [i, i + 2];
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return [i, i + 3];
  }
  return undefined;
}

/** Splits the head into logical lines, unfolding continuation lines (RFC 3261 §7.3.1). */
function headLines(head: string): string[] {
  const lines: string[] = [];
  for (const raw of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(raw) && lines.length > 1) {
      lines[lines.length - 1] += ` ${raw.trim()}`;
    } else if (/^[ \t]/.test(raw)) {
      throw new SipParseError('continuation line before any header');
    } else {
      lines.push(raw.replace(/\r$/, ''));
    }
  }
  return lines;
}

function parseStartLine(
  line: string,
): Omit<SipRequest, 'headers' | 'body'> | Omit<SipResponse, 'headers' | 'body'> {
  if (hasControlChars(line)) throw new SipParseError('control character in start line');
  if (/^SIP\//i.test(line)) {
    const m = /^(SIP\/\d{1,3}\.\d{1,3}) (\d{3})(?: (.*))?$/i.exec(line);
    if (!m) throw new SipParseError('bad status line');
    const status = Number(m[2]);
    if (status < 100 || status > 699) throw new SipParseError('status code out of range');
    return { kind: 'response', version: (m[1] ?? '').toUpperCase(), status, reason: m[3] ?? '' };
  }
  const parts = line.split(' ');
  const [method = '', uri = '', version = ''] = parts;
  if (parts.length !== 3 || !isToken(method) || !VERSION_RE.test(version)) {
    throw new SipParseError('bad request line');
  }
  if (uri === '' || !/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/.test(uri) || hasControlChars(uri)) {
    throw new SipParseError('bad Request-URI');
  }
  return { kind: 'request', method, uri, version: version.toUpperCase() };
}

/** Reads Content-Length; throws on a malformed value or on repeated, disagreeing values. */
export function contentLengthOf(headers: SipHeader[]): number | undefined {
  const values = getHeaders({ headers }, 'content-length').map((v) => v.trim());
  if (values.length === 0) return undefined;
  const first = values[0] ?? '';
  if (!/^\d{1,9}$/.test(first) || values.some((v) => v !== first))
    throw new SipParseError('bad Content-Length');
  return Number(first);
}

export function parseSipMessage(input: Buffer | string, options: ParseSipOptions = {}): SipMessage {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  if (buf.length > (options.maxBytes ?? 65535)) throw new SipParseError('message too large');
  // RFC 3261 §7.5: ignore CRLFs before the start line (they are also keep-alives, RFC 5626).
  let start = 0;
  while (buf[start] === 0x0d || buf[start] === 0x0a) start++;
  if (start === buf.length) throw new SipParseError('empty message');
  const end = findHeadEnd(buf, start);
  // A datagram may end right after the last header line without the blank line.
  const headEnd = end?.[0] ?? buf.length;
  const bodyStart = end?.[1] ?? buf.length;
  let head = buf.subarray(start, headEnd).toString('utf8');
  if (end === undefined) head = head.replace(/[\r\n]+$/, '');
  if (head.includes('\0') || head.includes('\uFFFD')) throw new SipParseError('NUL or invalid UTF-8 in head');

  const [startLine = '', ...lines] = headLines(head);
  const first = parseStartLine(startLine);
  if (lines.length > MAX_HEADERS) throw new SipParseError('too many headers');
  const headers: SipHeader[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).replace(/[ \t]+$/, '');
    const value = line.slice(colon + 1).trim();
    if (!isToken(name)) throw new SipParseError('bad header line');
    if (hasControlChars(value)) throw new SipParseError('control character in header');
    headers.push({ name: canonicalHeaderName(name), value });
  }

  const available = buf.length - bodyStart;
  const declared = contentLengthOf(headers);
  let length: number;
  if (declared === undefined) length = options.transport === 'stream' ? 0 : available;
  else if (declared > available) throw new SipParseError('body shorter than Content-Length');
  else length = declared; // RFC 3261 §18.3: bytes past Content-Length are discarded.
  const body = Buffer.from(buf.subarray(bodyStart, bodyStart + length));
  return { ...first, headers, body };
}

/**
 * Serialises with CRLF line ends and a Content-Length that always matches the body: an existing
 * Content-Length header is rewritten in place, or one is appended.
 */
export function serializeSipMessage(msg: SipMessage): Buffer {
  const out = { headers: msg.headers.map((h) => ({ ...h })) };
  setHeader(out, 'Content-Length', String(msg.body.length));
  const startLine =
    msg.kind === 'request'
      ? `${msg.method} ${msg.uri} ${msg.version}`
      : msg.reason === ''
        ? `${msg.version} ${msg.status}`
        : `${msg.version} ${msg.status} ${msg.reason}`;
  let head = `${startLine}\r\n`;
  for (const h of out.headers) head += `${h.name}: ${h.value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'utf8'), msg.body]);
}

/** True for a CRLF keep-alive (RFC 5626 ping "\r\n\r\n" or pong "\r\n") rather than a message. */
export const isKeepAlive = (buf: Buffer): boolean =>
  buf.length > 0 && /^[\r\n]+$/.test(buf.toString('latin1'));

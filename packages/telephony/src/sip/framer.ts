/**
 * Cuts a SIP byte stream (TCP/TLS) into messages by Content-Length (RFC 3261 §18.3).
 * `push` never throws: problems come out as `error` items and the framer resynchronises on the
 * next line that looks like a start line, so one bad peer message does not kill the connection.
 * Memory is bounded by `maxMessageBytes`.
 */
import { SipParseError } from './errors.js';
import { findHeadEnd, parseSipMessage, type SipMessage } from './message.js';

export type SipStreamItem =
  | { type: 'message'; message: SipMessage; raw: Buffer }
  /** A CRLF CRLF ping between messages (RFC 5626 §3.5.1); answer it with a single CRLF. */
  | { type: 'keepalive' }
  | { type: 'error'; error: SipParseError };

export interface SipStreamFramerOptions {
  /** Largest head + body accepted (default 65535). */
  maxMessageBytes?: number;
}

const START_LINE_RE = /^(?:[A-Za-z0-9\-.!%*_+`'~]+ \S+ SIP\/\d+\.\d+|SIP\/\d+\.\d+ \d{3}(?: .*)?)\r?$/i;

export class SipStreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly max: number;
  /** Inside a run of non-SIP bytes: report it once, then drop lines until a start line. */
  private inGarbage = false;
  /** Dropping the rest of an over-long line. */
  private skippingLine = false;
  /** Consecutive empty lines seen between messages, for CRLF CRLF keep-alives. */
  private emptyLines = 0;

  constructor(options: SipStreamFramerOptions = {}) {
    this.max = options.maxMessageBytes ?? 65535;
  }

  /** Bytes held while waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  push(chunk: Uint8Array): SipStreamItem[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const out: SipStreamItem[] = [];
    while (this.step(out)) {}
    return out;
  }

  /** Consumes one unit (a line of noise, or a whole message); false when more bytes are needed. */
  private step(out: SipStreamItem[]): boolean {
    const nl = this.buf.indexOf(0x0a);
    if (this.skippingLine) {
      if (nl < 0) {
        this.buf = Buffer.alloc(0);
        return false;
      }
      this.skippingLine = false;
      this.buf = this.buf.subarray(nl + 1);
      return true;
    }
    if (nl < 0) {
      if (this.buf.length > this.max) this.dropLongLine(out);
      return false;
    }
    if (nl > this.max) {
      this.garbage(out, 'line longer than the message limit');
      this.buf = this.buf.subarray(nl + 1);
      return true;
    }
    const line = this.buf.subarray(0, nl).toString('latin1');
    if (line === '' || line === '\r') {
      this.buf = this.buf.subarray(nl + 1);
      if (!this.inGarbage && ++this.emptyLines === 2) {
        this.emptyLines = 0;
        out.push({ type: 'keepalive' });
      }
      return true;
    }
    this.emptyLines = 0;
    if (!START_LINE_RE.test(line)) {
      this.garbage(out, 'bytes before a SIP start line');
      this.buf = this.buf.subarray(nl + 1);
      return true;
    }
    this.inGarbage = false;
    return this.message(out);
  }

  private message(out: SipStreamItem[]): boolean {
    const end = findHeadEnd(this.buf);
    if (!end) {
      if (this.buf.length > this.max) return this.reject(out, 'SIP message too large');
      return false;
    }
    const [, bodyStart] = end;
    const head = this.buf.subarray(0, bodyStart).toString('latin1');
    const cl = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*\r?$/im.exec(head);
    const length = cl ? Number(cl[1]) : 0;
    if (cl && !/^\d{1,9}$/.test(cl[1] ?? '')) return this.reject(out, 'bad Content-Length');
    if (bodyStart + length > this.max) return this.reject(out, 'SIP message too large');
    if (this.buf.length < bodyStart + length) return false;
    const raw = Buffer.from(this.buf.subarray(0, bodyStart + length));
    this.buf = this.buf.subarray(bodyStart + length);
    try {
      out.push({
        type: 'message',
        message: parseSipMessage(raw, { transport: 'stream', maxBytes: this.max }),
        raw,
      });
    } catch (e) {
      out.push({ type: 'error', error: e instanceof SipParseError ? e : new SipParseError(String(e)) });
    }
    return true;
  }

  /**
   * Reports a message that cannot be framed and drops only its start line: the lines after it are
   * then skipped as noise up to the next start line. Doing the same thing whether or not the rest
   * has arrived keeps the output independent of how the stream was chunked.
   */
  private reject(out: SipStreamItem[], reason: string): boolean {
    out.push({ type: 'error', error: new SipParseError(reason) });
    this.buf = this.buf.subarray(this.buf.indexOf(0x0a) + 1);
    this.inGarbage = true;
    return true;
  }

  private dropLongLine(out: SipStreamItem[]): void {
    this.garbage(out, 'line longer than the message limit');
    this.buf = Buffer.alloc(0);
    this.skippingLine = true;
  }

  private garbage(out: SipStreamItem[], reason: string): void {
    if (!this.inGarbage) out.push({ type: 'error', error: new SipParseError(reason) });
    this.inGarbage = true;
  }
}

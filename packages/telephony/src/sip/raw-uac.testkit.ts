/**
 * A hand-driven UDP SIP client for tests: sends literal messages and collects what comes back,
 * so tests can check exact protocol behaviour (CANCEL, 488, retransmissions) without a peer.
 */
import dgram from 'node:dgram';
import { parseSipMessage, type SipMessage, type SipResponse, serializeSipMessage } from './message.js';

export class RawUac {
  readonly received: SipMessage[] = [];
  private readonly sock = dgram.createSocket('udp4');
  private waiters: Array<() => void> = [];
  port = 0;

  constructor(private readonly serverPort: number) {}

  async open(): Promise<this> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf) => {
      try {
        this.received.push(parseSipMessage(buf));
      } catch {
        return;
      }
      for (const w of this.waiters.splice(0)) w();
    });
    return this;
  }

  sendMessage(message: SipMessage): void {
    this.sock.send(serializeSipMessage(message), this.serverPort, '127.0.0.1');
  }

  send(text: string): void {
    this.sock.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), this.serverPort, '127.0.0.1');
  }

  /** Resolves with the first message matching `pred` (already received or arriving later). */
  async waitFor(pred: (m: SipMessage) => boolean, timeoutMs = 3000): Promise<SipMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(pred);
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a SIP message');
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  responses(status: number): SipResponse[] {
    return this.received.filter((m): m is SipResponse => m.kind === 'response' && m.status === status);
  }

  close(): void {
    this.sock.close();
  }
}

export interface InviteParts {
  callId: string;
  branch: string;
  port: number;
  rtpPort?: number;
  codecs?: string;
  rtpmaps?: string;
  user?: string;
  cseq?: number;
}

export function inviteText(p: InviteParts): string {
  const sdp = [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${p.rtpPort ?? 30000} RTP/AVP ${p.codecs ?? '0 101'}`,
    p.rtpmaps ?? 'a=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000',
    '',
  ].join('\r\n');
  const body = sdp.replace(/\r?\n/g, '\r\n');
  return [
    `INVITE sip:${p.user ?? 'agent'}@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${p.port};branch=${p.branch};rport`,
    'From: <sip:caller@127.0.0.1>;tag=abc',
    `To: <sip:${p.user ?? 'agent'}@127.0.0.1>`,
    `Call-ID: ${p.callId}`,
    `CSeq: ${p.cseq ?? 1} INVITE`,
    `Contact: <sip:caller@127.0.0.1:${p.port}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

export function inDialogText(
  method: string,
  p: { callId: string; port: number; toTag: string; cseq: number; branch?: string; cseqMethod?: string },
): string {
  return [
    `${method} sip:agent@127.0.0.1 SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${p.port};branch=${p.branch ?? `z9hG4bK${Math.random().toString(36).slice(2)}`};rport`,
    'From: <sip:caller@127.0.0.1>;tag=abc',
    `To: <sip:agent@127.0.0.1>;tag=${p.toTag}`,
    `Call-ID: ${p.callId}`,
    `CSeq: ${p.cseq} ${p.cseqMethod ?? method}`,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

/**
 * Load generator for bench/platform-load, run as its own process so its work is not counted as
 * the platform's: N calls, connected at `rampPerSecond`, each sending one 20 ms frame every 20 ms
 * on a drift-free clock (calls spread over the period in 1 ms slots). Every frame carries a marker
 * (marker.ts), so what comes back gives per-frame loss, round trip and output jitter.
 * Transports: `audiosocket`, as Asterisk's AudioSocket() places calls (UUID frame, then slin
 * 8 kHz), and `twilio`, as Twilio Media Streams does (signed voice webhook, then `connected`,
 * `start` and μ-law `media` messages on a WebSocket; the marker survives the μ-law round trip),
 * and `sip`, as a SIP phone or trunk does (INVITE with a PCMU offer over UDP, ACK, then μ-law RTP
 * from a socket per call; BYE at the end).
 *
 * Timeline: connect every call; wait until each has heard audio back (or `setupTimeoutMs`); settle
 * `warmupMs`; measure `seconds` (prints `measure-start` / `measure-end` so the caller can sample
 * the server between them); keep sending until the echoes of the window's frames are back (at most
 * `tailMs`); hang up. Frames sent inside the window are the ones counted: lost = sent − echoed.
 * Prints one JSON line at the end. Usage: call-load.ts '<json LoadArgs>'
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { mulawDecode, mulawEncode } from '@switchboard/media';
import {
  AudioSocketKind,
  encodeAudioSocketFrame,
  getHeader,
  parseNameAddr,
  parseRtp,
  parseSdp,
  ScriptedTwilio,
  serializeRtp,
  uuidToBytes,
} from '@switchboard/telephony';
import { WebSocket } from 'ws';
import { inDialogText, inviteText, RawUac } from '../../packages/telephony/src/sip/raw-uac.testkit.js';
import { monotonicMs, runSlots, summarize } from '../stats.js';
import { MARKER_SAMPLES, readMarker, writeMarker } from './marker.js';

export interface TwilioTarget {
  appUrl: string;
  publicUrl: string;
  accountSid: string;
  authToken: string;
  /** The number the calls dial (routed to the agent under test). */
  to: string;
}

export interface LoadArgs {
  transport: 'audiosocket' | 'twilio' | 'sip';
  /** AudioSocket server (transport audiosocket), or the SIP server (transport sip). */
  host: string;
  port: number;
  twilio?: TwilioTarget;
  calls: number;
  seconds: number;
  rampPerSecond: number;
  warmupMs: number;
  tailMs: number;
  setupTimeoutMs: number;
}

export interface LoadResult {
  calls: number;
  connected: number;
  /** Calls that heard audio back before the window. */
  answered: number;
  sent: number;
  echoed: number;
  lost: number;
  /** Frames back whose marker was unreadable or belonged to another call. */
  garbled: number;
  rttP50: number;
  rttP99: number;
  jitterP99: number;
  /** Per call: monotonic ms the TCP connection was accepted (NaN when it never was). */
  acceptedAt: number[];
  /** Per call: ms from accepted to the first audio back (NaN when none came). */
  firstBackMs: number[];
  latenessP99: number;
  cpuPct: number;
}

const FRAME_MS = 20;
const FRAME_BYTES = MARKER_SAMPLES * 2;

interface Call {
  index: number;
  socket: net.Socket | undefined;
  ws: WebSocket | undefined;
  rtp: dgram.Socket | undefined;
  /** The platform's RTP port for this call (from its SDP answer). */
  rtpPeer: number;
  sipCallId: string;
  toTag: string;
  streamSid: string;
  acceptedAt: number;
  firstBackAt: number;
  seq: number;
  /** Seq of the first and one past the last frame sent inside the window. */
  windowFrom: number;
  windowTo: number;
  echoedInWindow: number;
  seen: Uint8Array;
  lastArrival: number;
  carry: Buffer | undefined;
  closed: boolean;
}

async function main(a: LoadArgs): Promise<LoadResult> {
  const run = randomBytes(4).toString('hex');
  const maxSeq = Math.ceil(((a.setupTimeoutMs + a.warmupMs + a.seconds * 1000 + a.tailMs) / FRAME_MS) * 1.5);
  const calls: Call[] = Array.from({ length: a.calls }, (_, index) => ({
    index,
    socket: undefined,
    ws: undefined,
    rtp: undefined,
    rtpPeer: 0,
    sipCallId: '',
    toTag: '',
    streamSid: '',
    acceptedAt: Number.NaN,
    firstBackAt: Number.NaN,
    seq: 0,
    windowFrom: -1,
    windowTo: -1,
    echoedInWindow: 0,
    seen: new Uint8Array(maxSeq),
    lastArrival: Number.NaN,
    carry: undefined,
    closed: false,
  }));
  let window: 'before' | 'in' | 'after' = 'before';
  let garbled = 0;
  const rtt: number[] = [];
  const jitter: number[] = [];

  const onAudio = (c: Call, buf: Buffer, off: number, len: number) => {
    const now = monotonicMs();
    if (Number.isNaN(c.firstBackAt)) c.firstBackAt = now;
    const m = len >= FRAME_BYTES ? readMarker(buf, off, now) : undefined;
    if (!m || m.call !== c.index % 4096) {
      garbled++;
      return;
    }
    if (window === 'in' && !Number.isNaN(c.lastArrival))
      jitter.push(Math.abs(now - c.lastArrival - FRAME_MS));
    c.lastArrival = now;
    if (c.windowFrom >= 0 && m.seq >= c.windowFrom && (c.windowTo < 0 || m.seq < c.windowTo)) {
      if (m.seq < c.seen.length && c.seen[m.seq] === 0) {
        c.seen[m.seq] = 1;
        c.echoedInWindow++;
        rtt.push(now - m.sentMs);
      }
    }
  };

  const onData = (c: Call, chunk: Buffer) => {
    const buf = c.carry ? Buffer.concat([c.carry, chunk]) : chunk;
    c.carry = undefined;
    let off = 0;
    while (buf.length - off >= 3) {
      const kind = buf[off] as number;
      const len = buf.readUInt16BE(off + 1);
      if (buf.length - off - 3 < len) break;
      if (kind === AudioSocketKind.Audio) onAudio(c, buf, off + 3, len);
      off += 3 + len;
    }
    if (off < buf.length) c.carry = Buffer.from(buf.subarray(off));
  };

  const connectAudioSocket = (c: Call) =>
    new Promise<void>((resolve) => {
      const s = net.connect({ host: a.host, port: a.port });
      s.setNoDelay(true);
      s.once('connect', () => {
        c.acceptedAt = monotonicMs();
        c.socket = s;
        const hex = c.index.toString(16).padStart(12, '0');
        s.write(encodeAudioSocketFrame(AudioSocketKind.Uuid, uuidToBytes(`${run}-0000-4000-8000-${hex}`)));
        resolve();
      });
      s.on('data', (d: Buffer) => onData(c, d));
      s.on('error', () => resolve());
      s.on('close', () => {
        c.closed = true;
        c.socket = undefined;
        resolve();
      });
    });

  const t = a.twilio;
  const twilio = t ? new ScriptedTwilio(t) : undefined;
  const onTwilioMessage = (c: Call, d: Buffer) => {
    // Only media counts; a cheap look before parsing (marks and clears are not audio).
    if (!d.toString('latin1', 0, 20).includes('"media"')) return;
    const payload = (JSON.parse(d.toString('utf8')) as { media?: { payload?: string } }).media?.payload;
    if (!payload) return;
    const pcm = mulawDecode(Buffer.from(payload, 'base64'));
    onAudio(c, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength), 0, pcm.byteLength);
  };
  const connectTwilio = async (c: Call) => {
    if (!t || !twilio) return;
    const callSid = `CA${run}${c.index.toString(16).padStart(24, '0')}`;
    c.streamSid = `MZ${run}${c.index.toString(16).padStart(24, '0')}`;
    const answer = await twilio.voice({ CallSid: callSid, To: t.to });
    if (answer.status !== 200 || !answer.streamUrl) return;
    const ws = new WebSocket(`${t.appUrl.replace(/^http/, 'ws')}/twilio/media`, { perMessageDeflate: false });
    await new Promise<void>((resolve) => {
      ws.once('open', () => resolve());
      ws.once('error', () => resolve());
    });
    if (ws.readyState !== WebSocket.OPEN) return;
    c.acceptedAt = monotonicMs();
    c.ws = ws;
    ws.on('message', (d: Buffer) => onTwilioMessage(c, d));
    ws.on('close', () => {
      c.closed = true;
      c.ws = undefined;
    });
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(
      JSON.stringify({
        event: 'start',
        sequenceNumber: '1',
        streamSid: c.streamSid,
        start: {
          streamSid: c.streamSid,
          accountSid: t.accountSid,
          callSid,
          tracks: ['inbound'],
          customParameters: answer.parameters,
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
    );
  };
  const uac = a.transport === 'sip' ? await new RawUac(a.port).open() : undefined;
  const connectSip = async (c: Call) => {
    if (!uac) return;
    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
    c.sipCallId = `load-${run}-${c.index}@127.0.0.1`;
    uac.send(
      inviteText({
        callId: c.sipCallId,
        branch: `z9hG4bK${run}${c.index}`,
        port: uac.port,
        rtpPort: rtp.address().port,
        user: 'demo',
      }),
    );
    const ok = await uac
      .waitFor(
        (m) =>
          m.kind === 'response' &&
          m.status === 200 &&
          getHeader(m, 'call-id') === c.sipCallId &&
          getHeader(m, 'cseq')?.includes('INVITE') === true,
        a.setupTimeoutMs,
      )
      .catch(() => undefined);
    const media = ok?.kind === 'response' ? parseSdp(ok.body).media[0] : undefined;
    if (!ok || !media) {
      rtp.close();
      return;
    }
    c.toTag = parseNameAddr(getHeader(ok, 'to') ?? '').params.get('tag') ?? '';
    uac.send(inDialogText('ACK', { callId: c.sipCallId, port: uac.port, toTag: c.toTag, cseq: 1 }));
    c.acceptedAt = monotonicMs();
    c.rtpPeer = media.port;
    c.rtp = rtp;
    rtp.on('message', (buf: Buffer) => {
      let p: ReturnType<typeof parseRtp>;
      try {
        p = parseRtp(buf);
      } catch {
        garbled++;
        return;
      }
      if (p.payloadType !== 0) return;
      const pcm16 = mulawDecode(p.payload);
      onAudio(c, Buffer.from(pcm16.buffer, pcm16.byteOffset, pcm16.byteLength), 0, pcm16.byteLength);
    });
  };
  const connect = (c: Call) =>
    a.transport === 'twilio'
      ? connectTwilio(c).catch(() => {})
      : a.transport === 'sip'
        ? connectSip(c).catch(() => {})
        : connectAudioSocket(c);

  const pcm = Buffer.alloc(FRAME_BYTES);
  const send = (c: Call) => {
    if (c.socket) {
      const frame = Buffer.allocUnsafe(3 + FRAME_BYTES);
      frame[0] = AudioSocketKind.Audio;
      frame.writeUInt16BE(FRAME_BYTES, 1);
      writeMarker(frame, 3, c.index, c.seq, monotonicMs());
      c.socket.write(frame);
    } else if (c.rtp) {
      writeMarker(pcm, 0, c.index, c.seq, monotonicMs());
      const mu = mulawEncode(new Int16Array(pcm.buffer, pcm.byteOffset, MARKER_SAMPLES));
      c.rtp.send(
        serializeRtp({
          payloadType: 0,
          sequence: c.seq & 0xffff,
          timestamp: (c.seq * MARKER_SAMPLES) >>> 0,
          ssrc: 0x5b000000 + c.index,
          payload: mu,
        }),
        c.rtpPeer,
        a.host,
      );
    } else if (c.ws) {
      writeMarker(pcm, 0, c.index, c.seq, monotonicMs());
      const mu = mulawEncode(new Int16Array(pcm.buffer, pcm.byteOffset, MARKER_SAMPLES));
      const payload = Buffer.from(mu.buffer, mu.byteOffset, mu.byteLength).toString('base64');
      c.ws.send(
        `{"event":"media","sequenceNumber":"${c.seq + 2}","streamSid":"${c.streamSid}","media":{"track":"inbound","chunk":"${c.seq + 1}","timestamp":"${c.seq * FRAME_MS}","payload":"${payload}"}}`,
      );
    } else return;
    c.seq++;
  };

  // Call i sends in slot i mod 20 of each 20 ms period.
  const slots: Call[][] = Array.from({ length: FRAME_MS }, () => []);
  for (const c of calls) slots[c.index % FRAME_MS]!.push(c);
  let stopped = false;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const paced = runSlots({
    slots: Number.MAX_SAFE_INTEGER,
    stop: () => stopped,
    onSlot: (k) => {
      for (const c of slots[k % FRAME_MS]!) if (!c.closed) send(c);
    },
  });

  const connecting: Promise<void>[] = [];
  for (const c of calls) {
    connecting.push(connect(c));
    await sleep(1000 / a.rampPerSecond);
  }
  await Promise.all(connecting);
  const up = (c: Call) => c.socket || c.ws || c.rtp;
  progress(`${calls.filter(up).length}/${a.calls} connected`);
  const setupDeadline = Date.now() + a.setupTimeoutMs;
  while (Date.now() < setupDeadline && calls.some((c) => up(c) && Number.isNaN(c.firstBackAt)))
    await sleep(50);
  progress(`${calls.filter((c) => !Number.isNaN(c.firstBackAt)).length}/${a.calls} hear audio back`);
  await sleep(a.warmupMs);

  for (const c of calls) c.windowFrom = c.seq;
  window = 'in';
  process.stdout.write('measure-start\n');
  await sleep(a.seconds * 1000);
  for (const c of calls) c.windowTo = c.seq;
  window = 'after';
  process.stdout.write('measure-end\n');
  // Frames of the window still on their way back are late, not lost: wait for them (sending on,
  // so the platform's output keeps flowing) until all are back or `tailMs` has passed.
  const tailEnd = Date.now() + a.tailMs;
  do await sleep(100);
  while (
    Date.now() < tailEnd &&
    calls.some((c) => c.windowFrom >= 0 && !c.closed && c.echoedInWindow < c.windowTo - c.windowFrom)
  );
  stopped = true;
  const lateness = await paced;
  progress('sending stopped');
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;

  for (const c of calls) {
    if (c.socket && !c.closed) {
      c.socket.write(encodeAudioSocketFrame(AudioSocketKind.Hangup));
      c.socket.end();
    }
    if (c.ws && !c.closed) {
      c.ws.send(
        JSON.stringify({
          event: 'stop',
          sequenceNumber: String(c.seq + 2),
          streamSid: c.streamSid,
          stop: {},
        }),
      );
      c.ws.close();
    }
    if (c.rtp && uac)
      uac.send(inDialogText('BYE', { callId: c.sipCallId, port: uac.port, toTag: c.toTag, cseq: 2 }));
  }
  await sleep(200);
  for (const c of calls) {
    c.socket?.destroy();
    c.ws?.terminate();
    c.rtp?.close();
  }
  uac?.close();

  const live = calls.filter((c) => c.windowFrom >= 0 && c.windowTo >= 0);
  const sent = live.reduce((n, c) => n + (c.windowTo - c.windowFrom), 0);
  const echoed = live.reduce((n, c) => n + c.echoedInWindow, 0);
  const r = summarize(rtt);
  return {
    calls: a.calls,
    connected: calls.filter((c) => !Number.isNaN(c.acceptedAt)).length,
    answered: calls.filter((c) => !Number.isNaN(c.firstBackAt)).length,
    sent,
    echoed,
    lost: sent - echoed,
    garbled,
    rttP50: r.p50,
    rttP99: r.p99,
    jitterP99: summarize(jitter).p99,
    acceptedAt: calls.map((c) => c.acceptedAt),
    firstBackMs: calls.map((c) => c.firstBackAt - c.acceptedAt),
    latenessP99: summarize(lateness).p99,
    cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
  };
}

const progress = (what: string) => {
  if (process.env.PLATFORM_LOAD_VERBOSE) process.stderr.write(`  load: ${what}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const args = JSON.parse(process.argv[2] ?? '{}') as LoadArgs;
// A bench must stop by itself, even when the server under test never answers.
setTimeout(
  () => {
    process.stderr.write('call-load: gave up\n');
    process.exit(2);
  },
  args.calls * (1000 / args.rampPerSecond) + args.setupTimeoutMs + args.seconds * 1000 + 60_000,
).unref();
const result = await main(args);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);

/**
 * An AVR speech-to-speech connector (protocols-avr.md §3.6) that echoes every caller frame at
 * once: an `audio` message comes back as the same bytes, so the echo costs one send and adds no
 * delay of its own. It notes when the first caller frame of each call arrives (call setup, read
 * from the frame's marker) and, like a caller who talks, sends a final caller transcript every
 * `transcriptEveryMs` per call, which the platform persists as it would in a real conversation.
 */
import { type WebSocket, WebSocketServer } from 'ws';
import { monotonicMs } from '../stats.js';
import { readMarker } from './marker.js';

const AUDIO_PREFIX = '{"type":"audio","audio":"';

export interface EchoStsOptions {
  host: string;
  port: number;
  /** 0 sends no transcripts. */
  transcriptEveryMs: number;
}

export class EchoSts {
  /** First caller frame per call (marker call number → monotonic ms), for the current step. */
  readonly firstFrameAt = new Map<number, number>();
  framesEchoed = 0;
  connections = 0;
  readonly #wss: WebSocketServer;
  readonly #peers = new Set<WebSocket>();
  readonly #timer: NodeJS.Timeout | undefined;

  private constructor(wss: WebSocketServer, opts: EchoStsOptions) {
    this.#wss = wss;
    wss.on('connection', (ws) => this.#accept(ws));
    if (opts.transcriptEveryMs > 0) {
      // One timer for every call: each tick speaks for the calls whose turn it is, so the writes
      // spread evenly over the period instead of arriving in one burst.
      const tickMs = 100;
      const ticks = Math.max(1, Math.round(opts.transcriptEveryMs / tickMs));
      let tick = 0;
      this.#timer = setInterval(() => {
        let i = 0;
        for (const ws of this.#peers) {
          if (i++ % ticks === tick % ticks)
            ws.send('{"type":"transcript","role":"user","text":"I would like to book an appointment"}');
        }
        tick++;
      }, tickMs);
      this.#timer.unref();
    }
  }

  static async start(opts: EchoStsOptions): Promise<EchoSts> {
    const wss = new WebSocketServer({ host: opts.host, port: opts.port, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new EchoSts(wss, opts);
  }

  get url(): string {
    const a = this.#wss.address();
    return typeof a === 'string' || !a ? String(a) : `ws://127.0.0.1:${a.port}/`;
  }

  /** Connections open now (calls the platform has not ended yet). */
  get open(): number {
    return this.#peers.size;
  }

  /** Forgets the previous step's first-frame times. */
  reset(): void {
    this.firstFrameAt.clear();
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    for (const ws of this.#peers) ws.terminate();
    await new Promise<void>((r) => this.#wss.close(() => r()));
  }

  #accept(ws: WebSocket): void {
    this.connections++;
    this.#peers.add(ws);
    let first = true;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary || data.length < 64 || data.toString('latin1', 0, AUDIO_PREFIX.length) !== AUDIO_PREFIX) {
        return; // init, dtmf_digit: nothing to answer
      }
      ws.send(data, { binary: false });
      this.framesEchoed++;
      if (first) {
        first = false;
        const now = monotonicMs();
        const end = data.indexOf(0x22, AUDIO_PREFIX.length);
        const pcm = Buffer.from(data.toString('latin1', AUDIO_PREFIX.length, end), 'base64');
        const m = readMarker(pcm, 0, now);
        if (m && !this.firstFrameAt.has(m.call)) this.firstFrameAt.set(m.call, now);
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => this.#peers.delete(ws));
  }
}

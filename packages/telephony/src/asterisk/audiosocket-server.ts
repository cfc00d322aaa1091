/**
 * The AudioSocket TCP server Asterisk connects to (`AudioSocket(uuid,host:port)` or
 * `Dial(AudioSocket/host:port/uuid/c(slin…))`). Each connection is one call: the UUID frame
 * creates the leg, the first audio frame fixes its rate, and the owner's `onCall` decides which
 * agent answers. A connection that breaks the protocol is ended on its own; the others go on.
 */
import net from 'node:net';
import { farEndHangup, type Logger } from '@switchboard/core';
import {
  type AudioSocketFrame,
  AudioSocketKind,
  AudioSocketParser,
  encodeAudioSocketFrame,
} from './audiosocket-codec.js';
import { AudioSocketLeg, isSupportedAudioRate } from './audiosocket-leg.js';
import type { AvrCallRegistry } from './avr-call-hook.js';

export interface AudioSocketServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** Calls announced through the pre-call hook, looked up by UUID. */
  registry?: AvrCallRegistry;
  /** Runs the call; a rejection hangs the leg up. */
  onCall(leg: AudioSocketLeg): Promise<void>;
  /** A connection that sends no UUID frame within this time is closed. */
  uuidTimeoutMs?: number;
  /** How long to wait for the first audio frame (which fixes the rate) before starting anyway. */
  firstAudioWaitMs?: number;
  /** Simultaneous connections accepted; more are refused at once. */
  maxConnections?: number;
}

export interface AudioSocketServerStats {
  accepted: number;
  active: number;
  /** Connections ended for breaking the protocol. */
  protocolErrors: number;
}

export class AudioSocketServer {
  readonly stats: AudioSocketServerStats = { accepted: 0, active: 0, protocolErrors: 0 };
  readonly #o: AudioSocketServerOptions;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #legs = new Set<AudioSocketLeg>();

  constructor(options: AudioSocketServerOptions) {
    this.#o = options;
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#server.maxConnections = options.maxConnections ?? 2000;
  }

  get address(): { host: string; port: number } {
    const a = this.#server.address();
    if (!a || typeof a === 'string') return { host: this.#o.host, port: this.#o.port };
    return { host: a.address, port: a.port };
  }

  /** Calls in progress. */
  get legs(): ReadonlySet<AudioSocketLeg> {
    return this.#legs;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.port, this.#o.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops listening and hangs up every call still connected. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Promise.all([...this.#legs].map((leg) => leg.hangup('shutdown')));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  #accept(socket: net.Socket): void {
    this.stats.accepted++;
    this.stats.active++;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const log = this.#o.logger;
    const parser = new AudioSocketParser();
    let leg: AudioSocketLeg | undefined;
    let started = false;
    let startTimer: NodeJS.Timeout | undefined;
    const uuidTimer = setTimeout(() => fail('no UUID frame'), this.#o.uuidTimeoutMs ?? 5000);

    const start = (): void => {
      if (started || !leg) return;
      started = true;
      if (startTimer) clearTimeout(startTimer);
      if (leg.endedReason) return;
      const current = leg;
      this.#o.onCall(current).catch((err: unknown) => {
        log.warn(
          { callId: current.id, err: err instanceof Error ? err.message : String(err) },
          'AudioSocket call could not start',
        );
        void current.hangup('rejected');
      });
    };

    // A connection that breaks framing cannot be trusted again: end it, never the process.
    const fail = (reason: string): void => {
      this.stats.protocolErrors++;
      log.warn({ callId: leg?.id, reason }, 'AudioSocket protocol error; closing the connection');
      if (leg) leg.remoteEnded('connector-error', true);
      else if (!socket.destroyed) {
        socket.write(encodeAudioSocketFrame(AudioSocketKind.Hangup));
        socket.end();
      }
    };

    const onFrame = (f: AudioSocketFrame): void => {
      if (!leg) {
        if (f.type === 'uuid') {
          clearTimeout(uuidTimer);
          leg = new AudioSocketLeg({
            id: f.uuid,
            socket,
            logger: log,
            announced: this.#o.registry?.take(f.uuid),
          });
          this.#legs.add(leg);
          void leg.ended.then(() => this.#legs.delete(leg as AudioSocketLeg));
          startTimer = setTimeout(start, this.#o.firstAudioWaitMs ?? 200);
        } else if (f.type === 'hangup') socket.end();
        else fail(f.type === 'protocol-error' ? f.reason : `${f.type} frame before the UUID`);
        return;
      }
      switch (f.type) {
        case 'audio':
          if (!started) {
            if (!isSupportedAudioRate(f.sampleRate)) {
              fail(`unsupported audio rate ${f.sampleRate} Hz`);
              return;
            }
            leg.adoptRate(f.sampleRate);
            leg.deliverAudio(f.sampleRate, f.payload);
            start();
          } else leg.deliverAudio(f.sampleRate, f.payload);
          return;
        case 'dtmf':
          leg.deliverDtmf(f.digit);
          return;
        case 'hangup':
          leg.remoteEnded(farEndHangup(leg.direction));
          return;
        case 'error':
          // Bit 0x01 is the calling party hanging up; anything else is a failure in Asterisk.
          leg.remoteEnded(
            f.code === undefined || (f.code & 0x01) !== 0 ? farEndHangup(leg.direction) : 'connector-error',
          );
          return;
        case 'uuid':
          leg.noteMalformed('a second UUID frame');
          return;
        case 'protocol-error':
          // An over-long length desynchronises the stream; a bad payload of a sane length does not.
          if (f.reason.includes('exceeds')) fail(f.reason);
          else leg.noteMalformed(f.reason);
          return;
      }
    };

    socket.on('data', (chunk: Buffer) => {
      for (const f of parser.push(chunk)) {
        onFrame(f);
        if (socket.destroyed || leg?.endedReason) break;
      }
    });
    socket.on('error', (err) =>
      log.debug({ callId: leg?.id, err: err.message }, 'AudioSocket connection error'),
    );
    socket.on('close', () => {
      clearTimeout(uuidTimer);
      if (startTimer) clearTimeout(startTimer);
      this.#sockets.delete(socket);
      this.stats.active--;
      if (leg && !leg.endedReason) leg.remoteEnded(farEndHangup(leg.direction));
    });
  }
}

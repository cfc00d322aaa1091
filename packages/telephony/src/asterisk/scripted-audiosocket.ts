/**
 * A scripted Asterisk for tests: connects to an AudioSocket server over TCP, sends frames exactly
 * as Asterisk writes them (or raw bytes, for malformed input) and records what comes back.
 */
import net from 'node:net';
import {
  type AudioSocketFrame,
  AudioSocketKind,
  AudioSocketParser,
  encodeAudioSocketFrame,
  uuidToBytes,
} from './audiosocket-codec.js';

export class ScriptedAudioSocket {
  readonly received: AudioSocketFrame[] = [];
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
  readonly #socket: net.Socket;
  readonly #parser = new AudioSocketParser();
  readonly #waiters = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.received.push(...this.#parser.push(chunk));
      for (const w of this.#waiters) w();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        resolve();
        for (const w of this.#waiters) w();
      }),
    );
  }

  static connect(port: number, host = '127.0.0.1'): Promise<ScriptedAudioSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(new ScriptedAudioSocket(s));
      });
      s.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.#socket.destroyed || this.#socket.readableEnded;
  }

  uuid(uuid: string): void {
    this.raw(encodeAudioSocketFrame(AudioSocketKind.Uuid, uuidToBytes(uuid)));
  }

  audio(payload: Uint8Array, kind: number = AudioSocketKind.Audio): void {
    this.raw(encodeAudioSocketFrame(kind, payload));
  }

  dtmf(digit: string): void {
    this.raw(encodeAudioSocketFrame(AudioSocketKind.Dtmf, Buffer.from(digit, 'latin1')));
  }

  hangup(): void {
    this.raw(encodeAudioSocketFrame(AudioSocketKind.Hangup));
  }

  raw(bytes: Uint8Array): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Resolves once `test` holds for the received frames (or the socket closed, then rejects). */
  waitFor(test: (frames: AudioSocketFrame[]) => boolean, what = 'frames'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test(this.received)) {
          this.#waiters.delete(check);
          resolve();
        } else if (this.#socket.destroyed) {
          this.#waiters.delete(check);
          reject(new Error(`connection closed while waiting for ${what}`));
        }
      };
      this.#waiters.add(check);
      check();
    });
  }
}

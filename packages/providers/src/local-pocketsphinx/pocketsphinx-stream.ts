import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '@switchboard/core';
import { type AsrEvent, type AsrStream, ProviderError } from '@switchboard/engine';
import { type AudioFrame, EnergyVad, pcm16ToSamples, samplesToPcm16 } from '@switchboard/media';
import { AsyncQueue } from '../util/async-queue.js';
import type { WhiteNoise } from '../util/white-noise.js';

export interface PocketsphinxStreamOptions {
  provider: string;
  /** Arguments for pocketsphinx_continuous after `-infile /dev/stdin`. */
  args: readonly string[];
  logger: Logger | undefined;
  /** Added to every frame (narrowband calls only). */
  noise: WhiteNoise | undefined;
  speechEvents: boolean;
  closeGraceMs: number;
  signal: AbortSignal;
  /** Runs once the child has gone (removes the temporary grammar). */
  cleanup: () => Promise<void>;
}

/** Audio queued for the child beyond this is dropped: the recogniser is not keeping up. */
const MAX_BACKLOG_BYTES = 16_000 * 2 * 10;
const STDERR_TAIL = 8;

/*
 * Two pitfalls shape the command (peers.md §2): Node gives a child a socketpair, not a pipe, and
 * pocketsphinx's open("/dev/stdin") fails on a socket with ENXIO, so `cat` turns it into a pipe;
 * and stdout to a pipe is block-buffered, so `stdbuf -oL` makes each hypothesis arrive as its line
 * is printed. When the recogniser exits (a crash, or the end of input), `kill 0` ends the whole
 * group: otherwise `cat` would wait on the socket until the next write and the exit would go
 * unnoticed. The arguments travel as "$@", never through the shell's parser.
 */
const SCRIPT = [
  'cat | {',
  'stdbuf -oL pocketsphinx_continuous -infile /dev/stdin "$@";',
  'echo "pocketsphinx_continuous exited with status $?" >&2;',
  'kill 0; }',
].join(' ');

/**
 * One recognition stream: a pocketsphinx_continuous child fed 16 kHz s16le on stdin, one line per
 * utterance on stdout, each line a `final` event. The child runs in its own process group so that
 * killing the group also ends `cat` and the recogniser behind the shell.
 */
export class PocketsphinxStream implements AsrStream {
  readonly #queue = new AsyncQueue<AsrEvent>();
  readonly events: AsyncIterable<AsrEvent> = this.#queue;
  readonly #o: PocketsphinxStreamOptions;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #vad: EnergyVad | undefined;
  readonly #stderr: string[] = [];
  #closing = false;
  #closed: Promise<void> | undefined;
  #warnedBacklog = false;

  constructor(opts: PocketsphinxStreamOptions) {
    this.#o = opts;
    this.#vad = opts.speechEvents ? new EnergyVad({ sampleRate: 16000 }) : undefined;
    this.#child = spawn('sh', ['-c', SCRIPT, 'sh', ...opts.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let exited = () => {};
    this.#exited = new Promise((resolve) => {
      exited = resolve;
    });
    this.#child.once('close', (code, signal) => {
      this.#onExit(code, signal);
      exited();
    });
    this.#child.once('error', (err) => {
      // A child that never started emits no 'close'.
      exited();
      this.#fail(
        new ProviderError('unavailable', `could not start pocketsphinx: ${err.message}`, {
          provider: opts.provider,
          retryable: false,
          cause: err,
        }),
      );
    });
    // EPIPE after the child died is reported by the exit handler, with the child's own words.
    this.#child.stdin?.on('error', () => {});
    const out = createInterface({ input: this.#child.stdout! });
    out.on('line', (line) => {
      const text = line.trim();
      if (text) this.#queue.push({ type: 'final', text });
    });
    const err = createInterface({ input: this.#child.stderr! });
    err.on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_TAIL) this.#stderr.shift();
      opts.logger?.debug({ provider: opts.provider, line }, 'pocketsphinx');
    });
    if (opts.signal.aborted) this.#abort();
    else opts.signal.addEventListener('abort', this.#abort, { once: true });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  push(frame: AudioFrame): void {
    const stdin = this.#child.stdin;
    if (this.#closing || !stdin || stdin.destroyed || frame.format.encoding !== 'pcm16') return;
    const samples = pcm16ToSamples(frame.data);
    if (this.#vad) {
      const ev = this.#vad.processSync(frame).event;
      if (ev) this.#queue.push({ type: ev });
    }
    if (stdin.writableLength > MAX_BACKLOG_BYTES) {
      if (!this.#warnedBacklog) {
        this.#warnedBacklog = true;
        this.#o.logger?.warn(
          { provider: this.#o.provider },
          'pocketsphinx is falling behind; dropping audio',
        );
      }
      return;
    }
    // The frame's bytes may be reused by the caller after push returns, so write a copy.
    const data = this.#o.noise ? samplesToPcm16(this.#o.noise.addTo(samples)) : frame.data.slice();
    stdin.write(data);
  }

  /**
   * Ends the audio, gives the recogniser `closeGraceMs` to report the last utterance, then kills
   * it. Idempotent.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown(this.#o.closeGraceMs);
    return this.#closed;
  }

  async #shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#o.signal.removeEventListener('abort', this.#abort);
    this.#vad?.close();
    this.#child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.#exited, grace]);
    clearTimeout(timer);
    this.#kill();
    await this.#exited;
    this.#queue.close();
    await this.#o.cleanup().catch(() => {});
  }

  readonly #abort = (): void => {
    this.#closed ??= this.#shutdown(0);
  };

  #kill(): void {
    const pid = this.#child.pid;
    if (pid === undefined || this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      this.#child.kill('SIGKILL');
    }
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#closing) {
      this.#queue.close();
      return;
    }
    // The recogniser's own complaint says more than the shell's exit.
    const said =
      this.#stderr.filter((l) => /^(ERROR|FATAL)/.test(l)).at(-1) ??
      this.#stderr.at(-1) ??
      (signal ? `signal ${signal}` : `code ${code}`);
    this.#fail(
      new ProviderError('unavailable', `pocketsphinx exited unexpectedly: ${said}`, {
        provider: this.#o.provider,
        retryable: false,
      }),
    );
  }

  #fail(error: ProviderError): void {
    this.#o.logger?.error({ provider: this.#o.provider, err: error.message }, 'speech recogniser failed');
    this.#queue.fail(error);
    this.#closing = true;
    this.#kill();
    void this.#o.cleanup().catch(() => {});
  }
}

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@switchboard/core';
import { type ProviderBaseOptions, ProviderError, SpeakableChunker, TtsBase } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  PCM16_8K,
  PCM16_16K,
  Reframer,
  readWav,
  samplesToPcm16,
} from '@switchboard/media';
import { requireBinary } from '../util/binaries.js';

/** Voices of Debian's flite 2.2 and the rate each speaks at (`flite -lv`). */
export const FLITE_VOICES: Readonly<Record<string, 8000 | 16000>> = {
  kal: 8000,
  kal16: 16000,
  slt: 16000,
  rms: 16000,
  awb: 16000,
};
const DEFAULT_VOICE = 'slt';

export interface FliteTtsOptions extends ProviderBaseOptions {
  /** The agent's `voice`; used when it names a flite voice. */
  agentVoice?: string;
  /** The provider's configured voice (settings.voice); default slt. */
  voice?: string;
  logger?: Logger;
}

/**
 * Flite, the system binary, one child process per sentence. Never the WASM build inside the
 * server: it crashes the whole Node process (deps.md §4). Voices: `kal` speaks 8 kHz natively
 * (telephone calls need no resampling), `slt`, `rms`, `awb` and `kal16` 16 kHz; all are
 * recognised far better by pocketsphinx than espeak. Each sentence's child is killed on abort.
 */
export class FliteTts extends TtsBase {
  readonly name = 'local:flite';
  readonly voice: string;
  readonly supportedFormats: readonly AudioFormat[];
  #dir: Promise<string> | undefined;
  #seq = 0;

  constructor(opts: FliteTtsOptions = {}) {
    super(opts);
    const pick = [opts.agentVoice, opts.voice].find((v) => v !== undefined && v in FLITE_VOICES);
    if (opts.agentVoice && pick !== opts.agentVoice) {
      opts.logger?.warn({ voice: opts.agentVoice, using: pick ?? DEFAULT_VOICE }, 'flite has no such voice');
    }
    this.voice = pick ?? DEFAULT_VOICE;
    this.supportedFormats = [FLITE_VOICES[this.voice] === 8000 ? PCM16_8K : PCM16_16K];
  }

  protected override async open(): Promise<void> {
    requireBinary('flite', this.name);
  }

  protected async *synthesizeText(
    text: string,
    format: AudioFormat,
    signal: AbortSignal,
  ): AsyncGenerator<AudioFrame, void, undefined> {
    requireBinary('flite', this.name);
    const chunker = new SpeakableChunker();
    const reframer = new Reframer(format, 20);
    for (const sentence of [...chunker.push(text), ...chunker.flush()]) {
      if (signal.aborted) return;
      const samples = await this.#run(sentence, format, signal);
      if (!samples || signal.aborted) return;
      for (const frame of reframer.push(samplesToPcm16(samples))) {
        // The base keeps reading after an abort, so each frame checks it.
        if (signal.aborted) return;
        yield frame;
      }
    }
    const tail = reframer.flush();
    if (tail) yield tail;
  }

  /** One flite run into a temporary WAV; undefined when aborted. */
  async #run(text: string, format: AudioFormat, signal: AbortSignal): Promise<Int16Array | undefined> {
    const dir = await this.#tempDir();
    const out = join(dir, `${++this.#seq}.wav`);
    try {
      const stderr: string[] = [];
      const code = await new Promise<number | null>((resolve, reject) => {
        // `-t` takes the next argument as text, so text starting with "-" is still text.
        const child = spawn('flite', ['-voice', this.voice, '-o', out, '-t', text], {
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        const kill = () => child.kill('SIGKILL');
        signal.addEventListener('abort', kill, { once: true });
        child.stderr.on('data', (d: Buffer) => stderr.push(d.toString()));
        child.once('error', (err) => {
          signal.removeEventListener('abort', kill);
          reject(err);
        });
        child.once('close', (c) => {
          signal.removeEventListener('abort', kill);
          resolve(c);
        });
      });
      if (signal.aborted) return undefined;
      if (code !== 0) {
        throw new ProviderError('unavailable', `flite exited with code ${code}: ${stderr.join('').trim()}`, {
          provider: this.name,
          retryable: false,
        });
      }
      const wav = readWav(await readFile(out));
      const samples = wav.samples[0] ?? new Int16Array(0);
      if (wav.format.sampleRate !== format.sampleRate) {
        throw new ProviderError(
          'protocol',
          `flite voice ${this.voice} produced ${wav.format.sampleRate} Hz, expected ${format.sampleRate} Hz`,
          { provider: this.name },
        );
      }
      return samples;
    } finally {
      await rm(out, { force: true });
    }
  }

  #tempDir(): Promise<string> {
    this.#dir ??= mkdtemp(join(tmpdir(), 'switchboard-flite-'));
    return this.#dir;
  }

  override async close(): Promise<void> {
    const dir = this.#dir;
    this.#dir = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }
}

/**
 * Stand-ins for the AI engine in real-peer tests: record what the caller said (decoded to PCM),
 * collect digits, optionally play a prompt paced in real time or echo the caller back.
 */
import type { EndedReason } from '@switchboard/core';
import { type AudioFrame, decodeFrame, encodeWav, Pacer, PCM16_8K, readWav } from '@switchboard/media';
import type { SipCallLeg } from '@switchboard/telephony';

export interface CallRecord {
  leg: SipCallLeg;
  digits: string[];
  /** Decoded caller audio, one entry per 20 ms frame. */
  frames: Int16Array[];
  hangup: EndedReason | undefined;
  /** Resolves when the caller audio ended (the leg ended). */
  done: Promise<void>;
  /** Caller audio as an 8 kHz WAV file body. */
  wav(): Uint8Array;
  /** Seconds of caller audio in frames that are not all near zero. */
  audibleSeconds(): number;
}

export interface HandlerOptions {
  /** An 8 kHz mono PCM16 WAV to play once the call is answered. */
  playWav?: string;
  /** Send every caller frame straight back. */
  echo?: boolean;
  /** Hang up after the prompt finished playing plus this long. */
  hangupAfterPromptMs?: number;
}

/** Where `playSamples` plays: a call leg, or the person's side of a warm transfer. */
export interface Playable {
  play(frame: AudioFrame): void;
  once?(event: 'hangup', listener: () => void): unknown;
}

/** Plays 8 kHz PCM16 samples to the leg through the media Pacer; resolves when played out. */
export function playSamples(leg: Playable, samples: Int16Array): Promise<void> {
  return new Promise((resolve) => {
    const pacer = new Pacer({
      format: PCM16_8K,
      onFrame: (f) => leg.play(f),
      onIdle: () => {
        pacer.close();
        resolve();
      },
    });
    leg.once?.('hangup', () => {
      pacer.close();
      resolve();
    });
    pacer.push({
      format: PCM16_8K,
      data: new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength),
    });
  });
}

export function record(leg: SipCallLeg, options: HandlerOptions = {}): CallRecord {
  const rec: CallRecord = {
    leg,
    digits: [],
    frames: [],
    hangup: undefined,
    done: Promise.resolve(),
    wav() {
      const total = rec.frames.reduce((n, f) => n + f.length, 0);
      const all = new Int16Array(total);
      let at = 0;
      for (const f of rec.frames) {
        all.set(f, at);
        at += f.length;
      }
      return encodeWav(all, 8000);
    },
    audibleSeconds: () =>
      rec.frames.filter((f) => f.some((s) => s > 200 || s < -200)).reduce((n, f) => n + f.length, 0) / 8000,
  };
  leg.on('dtmf', (d) => rec.digits.push(d));
  leg.on('hangup', (r) => {
    rec.hangup = r;
  });
  rec.done = (async () => {
    for await (const frame of leg.audio as AsyncIterable<AudioFrame>) {
      rec.frames.push(Int16Array.from(decodeFrame(frame)));
      if (options.echo) leg.play(frame);
    }
  })();
  return rec;
}

/** An onCall that answers, records, and optionally plays a prompt. */
export function recordingHandler(options: HandlerOptions = {}) {
  const calls: CallRecord[] = [];
  let notify: ((r: CallRecord) => void) | undefined;
  const first = new Promise<CallRecord>((r) => {
    notify = r;
  });
  const onCall = (leg: SipCallLeg) => {
    const rec = record(leg, options);
    calls.push(rec);
    notify?.(rec);
    if (options.playWav) {
      const wav = readWav(options.playWav);
      const samples = wav.samples[0] ?? new Int16Array(0);
      // Start after the answer is out: onCall returns first, then the 200 OK is sent.
      setTimeout(() => {
        void playSamples(leg, samples).then(() => {
          if (options.hangupAfterPromptMs !== undefined)
            setTimeout(() => void leg.hangup(), options.hangupAfterPromptMs);
        });
      }, 50);
    }
  };
  return { onCall, calls, first };
}

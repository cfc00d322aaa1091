import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { encodeSamples } from './codec.js';
import {
  decodeTelephoneEvent,
  dtmfDigit,
  dtmfEventCode,
  encodeTelephoneEvent,
  generateDtmfTone,
} from './dtmf.js';
import { DtmfDetector } from './dtmf-detector.js';
import { type AudioFrame, MULAW_8K, PCM16_8K, PCM16_16K } from './format.js';
import { silence } from './level.js';
import { noiseSamples, sineFrame } from './testing.js';
import { initMedia } from './wasm.js';
import { readWav } from './wav.js';

/** Splits a frame into 20 ms frames, as a call delivers them. */
function frames20(f: AudioFrame): AudioFrame[] {
  const n = (f.format.sampleRate / 50) * (f.format.encoding === 'pcm16' ? 2 : 1);
  const out: AudioFrame[] = [];
  for (let i = 0; i < f.data.length; i += n) out.push({ format: f.format, data: f.data.subarray(i, i + n) });
  return out;
}

describe('RFC 4733 telephone-event', () => {
  it('encodes the wire layout and decodes it back', () => {
    const bytes = encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 });
    assert.deepEqual([...bytes], [11, 0x80 | 10, 0x03, 0x20]);
    assert.deepEqual(decodeTelephoneEvent(bytes), { event: 11, end: true, volume: 10, duration: 800 });
    assert.deepEqual(decodeTelephoneEvent(Uint8Array.of(5, 10, 0, 160)), {
      event: 5,
      end: false,
      volume: 10,
      duration: 160,
    });
    assert.equal(decodeTelephoneEvent(Uint8Array.of(1, 2)), undefined);
  });

  it('maps digits and event codes both ways', () => {
    for (const [d, c] of [
      ['0', 0],
      ['9', 9],
      ['*', 10],
      ['#', 11],
      ['A', 12],
      ['d', 15],
    ] as const) {
      assert.equal(dtmfEventCode(d), c);
      assert.equal(dtmfDigit(c), d.toUpperCase());
    }
    assert.equal(dtmfEventCode('x'), undefined);
    assert.equal(dtmfDigit(16), undefined);
  });
});

describe('in-band DTMF', () => {
  before(() => initMedia());

  it('detects every digit generated in μ-law, once per press', () => {
    const det = new DtmfDetector();
    const got: string[] = [];
    for (const d of '0123456789*#ABCD') {
      for (const f of frames20(generateDtmfTone(d, MULAW_8K, 100))) got.push(...det.process(f));
      for (const f of frames20(silence(MULAW_8K, 60))) got.push(...det.process(f));
    }
    assert.equal(got.join(''), '0123456789*#ABCD');
  });

  it('detects digits at 16 kHz pcm16 and in moderate noise', () => {
    const det = new DtmfDetector();
    const tone = generateDtmfTone('7', PCM16_16K, 80);
    assert.deepEqual(
      frames20(tone).flatMap((f) => det.process(f)),
      ['7'],
    );
    const det8 = new DtmfDetector();
    const noisy = generateDtmfTone('3', PCM16_8K, 100);
    const noise = encodeSamples(noiseSamples(8000, 100, 0.02), 'pcm16');
    const mixed = new Int16Array(800);
    const a = new Int16Array(noisy.data.buffer, noisy.data.byteOffset, 800);
    const b = new Int16Array(noise.buffer, noise.byteOffset, 800);
    for (let i = 0; i < 800; i++) mixed[i] = a[i]! + b[i]!;
    assert.deepEqual(
      frames20({ format: PCM16_8K, data: encodeSamples(mixed, 'pcm16') }).flatMap((f) => det8.process(f)),
      ['3'],
    );
  });

  it('ignores speech, single tones and presses shorter than 40 ms', () => {
    const det = new DtmfDetector();
    const speech = readWav(new URL('../fixtures/speech-8k.wav', import.meta.url).pathname).samples[0]!;
    const speechFrame = { format: PCM16_8K, data: encodeSamples(speech, 'pcm16') };
    assert.deepEqual(
      frames20(speechFrame).flatMap((f) => det.process(f)),
      [],
    );
    assert.deepEqual(
      frames20(sineFrame(770, MULAW_8K, 200)).flatMap((f) => det.process(f)),
      [],
    );
    assert.deepEqual(
      frames20(generateDtmfTone('5', MULAW_8K, 20)).flatMap((f) => det.process(f)),
      [],
    );
    assert.throws(() => generateDtmfTone('x', MULAW_8K, 20), RangeError);
  });
});

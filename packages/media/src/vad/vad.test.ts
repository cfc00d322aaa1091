import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { encodeSamples } from '../codec.js';
import { type AudioFormat, type AudioFrame, MULAW_8K, PCM16_8K, PCM16_16K } from '../format.js';
import { createResampler } from '../resampler.js';
import { noiseSamples, sineSamples } from '../testing.js';
import { initMedia } from '../wasm.js';
import { readWav } from '../wav.js';
import { createVad, resetVadFallbackWarning } from './create-vad.js';
import { EnergyVad } from './energy-vad.js';
import { SileroVad } from './silero-vad.js';
import { SpeechDebouncer, type VadEvent, type VoiceActivityDetector } from './vad.js';

const FIXTURE = new URL('../../fixtures/speech-8k.wav', import.meta.url).pathname;
const LEAD_MS = 1000;
let speech: Int16Array = new Int16Array(0);
let speechMs = 0;

/** 1 s of low noise, the spoken sentence, 1.5 s of low noise — at 8 kHz. */
function clip8k(): Int16Array {
  const lead = noiseSamples(8000, LEAD_MS, 0.004, 1);
  const tail = noiseSamples(8000, 1500, 0.004, 2);
  const out = new Int16Array(lead.length + speech.length + tail.length);
  out.set(lead);
  out.set(speech, lead.length);
  for (let i = 0; i < speech.length; i++)
    out[lead.length + i] = out[lead.length + i]! + (lead[i % lead.length] ?? 0);
  out.set(tail, lead.length + speech.length);
  return out;
}

async function run(vad: VoiceActivityDetector, samples: Int16Array, format: AudioFormat) {
  const events: { ms: number; event: VadEvent }[] = [];
  const n = (format.sampleRate * 20) / 1000;
  for (let i = 0; i + n <= samples.length; i += n) {
    const frame: AudioFrame = { format, data: encodeSamples(samples.subarray(i, i + n), format.encoding) };
    const r = await vad.process(frame);
    if (r.event) events.push({ ms: ((i + n) / format.sampleRate) * 1000, event: r.event });
  }
  return events;
}

/**
 * The fixture is two sentences with a ~0.35 s pause, which a 300 ms minSilenceMs may rightly split:
 * expect one or two utterances, starting soon after the speech does and ending soon after it ends.
 */
function assertUtterance(events: { ms: number; event: VadEvent }[], label: string) {
  const kinds = events.map((e) => e.event);
  const ok =
    kinds.length > 0 &&
    kinds.length <= 4 &&
    kinds.every((k, i) => k === (i % 2 ? 'speech-end' : 'speech-start'));
  assert.ok(ok && kinds.length % 2 === 0, `${label}: ${JSON.stringify(events)}`);
  const start = events[0]!.ms;
  const end = events[events.length - 1]!.ms;
  assert.ok(start > LEAD_MS && start < LEAD_MS + 600, `${label} start at ${start}`);
  assert.ok(end > LEAD_MS + speechMs - 300 && end < LEAD_MS + speechMs + 1200, `${label} end at ${end}`);
  if (events.length === 4) {
    const gap = events[2]!.ms;
    assert.ok(gap > LEAD_MS + 1500 && gap < LEAD_MS + 2600, `${label}: split only at the sentence pause`);
  }
}

describe('VAD', () => {
  before(async () => {
    await initMedia();
    speech = readWav(FIXTURE).samples[0]!;
    speechMs = (speech.length / 8000) * 1000;
  });

  it('Silero at native 8 kHz finds the sentence in μ-law input and nothing in the noise', async () => {
    const vad = await SileroVad.create({ sampleRate: 8000 });
    assertUtterance(await run(vad, clip8k(), MULAW_8K), 'silero 8k');
    vad.close();
  });

  it('Silero at 16 kHz finds the same sentence (input upsampled to 16k pcm16)', async () => {
    const up = createResampler(8000, 16000);
    const s16 = up.process(clip8k());
    up.destroy();
    const vad = await SileroVad.create({ sampleRate: 16000 });
    assertUtterance(await run(vad, s16, PCM16_16K), 'silero 16k');
    vad.close();
  });

  it('Silero is not fooled by a steady tone at the same level as the speech', async () => {
    const vad = await SileroVad.create({ sampleRate: 8000 });
    const events = await run(vad, sineSamples(440, 8000, 3000, 0.2), PCM16_8K);
    assert.deepEqual(events, []);
    vad.close();
  });

  it('the energy VAD finds the sentence after learning the noise floor', async () => {
    const vad = new EnergyVad({ sampleRate: 8000 });
    assertUtterance(await run(vad, clip8k(), PCM16_8K), 'energy');
  });

  it('each Silero stream keeps its own state on the shared session', async () => {
    const a = await SileroVad.create({ sampleRate: 8000 });
    const b = await SileroVad.create({ sampleRate: 8000 });
    const clip = clip8k();
    const [ea, eb] = await Promise.all([
      run(a, clip, PCM16_8K),
      run(b, noiseSamples(8000, 6000, 0.004), PCM16_8K),
    ]);
    assert.ok(ea.length === 2 || ea.length === 4);
    assert.deepEqual(eb, []);
  });

  it('malformed frames never throw: odd bytes, wrong rate, empty, unknown encoding', async () => {
    for (const vad of [await SileroVad.create({ sampleRate: 8000 }), new EnergyVad()]) {
      const bad: AudioFrame[] = [
        { format: PCM16_8K, data: new Uint8Array(321) },
        { format: { encoding: 'pcm16', sampleRate: 48000 }, data: new Uint8Array(1920) },
        { format: MULAW_8K, data: new Uint8Array(0) },
        { format: { encoding: 'opus' as 'pcm16', sampleRate: 8000 }, data: new Uint8Array(7) },
        { format: { encoding: 'pcm16', sampleRate: 0 as 8000 }, data: new Uint8Array(10) },
      ];
      for (const f of bad) {
        const r = await vad.process(f);
        assert.equal(typeof r.probability, 'number');
        assert.equal(r.speaking, false);
      }
      vad.close();
      assert.deepEqual(await vad.process(bad[0]!), { probability: 0, speaking: false });
    }
  });

  it('createVad: energy on request, silero by default, energy fallback warned once', async () => {
    assert.ok((await createVad({ kind: 'energy', sampleRate: 8000 })) instanceof EnergyVad);
    assert.ok((await createVad({ sampleRate: 16000 })) instanceof SileroVad);
    resetVadFallbackWarning();
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const missing = '/nonexistent/model.onnx';
    assert.ok(
      (await createVad({ kind: 'auto', sampleRate: 8000, modelPath: missing, warn })) instanceof EnergyVad,
    );
    assert.ok(
      (await createVad({ kind: 'auto', sampleRate: 8000, modelPath: missing, warn })) instanceof EnergyVad,
    );
    assert.equal(warnings.length, 1);
    await assert.rejects(createVad({ kind: 'silero', sampleRate: 8000, modelPath: missing }));
  });
});

describe('SpeechDebouncer', () => {
  it('needs minSpeechMs above threshold to start and minSilenceMs below the lower threshold to end', () => {
    const d = new SpeechDebouncer({ threshold: 0.5, minSpeechMs: 60, minSilenceMs: 100 });
    const seq = [0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.4, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1];
    const events = seq.map((p) => d.update(p, 20));
    assert.deepEqual(events.map((e, i) => (e ? `${i}:${e}` : '')).filter(Boolean), [
      '5:speech-start',
      '16:speech-end',
    ]);
  });
});

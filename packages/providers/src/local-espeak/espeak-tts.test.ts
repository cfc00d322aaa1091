import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  type AudioFormat,
  type AudioFrame,
  dbfs,
  decodeFrame,
  frameDurationMs,
  initMedia,
  MULAW_8K,
  PCM16_16K,
} from '@switchboard/media';
import { EspeakTts } from './espeak-tts.js';

async function collect(
  tts: EspeakTts,
  text: string,
  format: AudioFormat,
  signal = new AbortController().signal,
) {
  const frames: AudioFrame[] = [];
  for await (const f of tts.synthesize({ text, format, signal })) frames.push(f);
  return frames;
}

const durationMs = (frames: AudioFrame[]) => frames.reduce((s, f) => s + frameDurationMs(f), 0);
const allSamples = (frames: AudioFrame[]) => {
  const parts = frames.map((f) => Int16Array.from(decodeFrame(f)));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('EspeakTts', () => {
  before(() => initMedia());

  for (const format of [MULAW_8K, PCM16_16K]) {
    it(`speaks audible audio of plausible length as ${format.encoding} ${format.sampleRate} Hz`, async () => {
      const tts = new EspeakTts();
      await tts.prepare(new AbortController().signal);
      const frames = await collect(tts, 'What are your opening hours?', format);
      assert.ok(frames.length > 0);
      for (const f of frames) assert.deepEqual(f.format, format);
      const ms = durationMs(frames);
      // Five words at espeak's 175 words per minute, plus its lead-in and tail silence.
      assert.ok(ms > 800 && ms < 3000, `duration ${ms} ms`);
      assert.ok(dbfs(allSamples(frames)) > -35, 'audio should be clearly audible');
      assert.equal(tts.stats.sentences, 1);
      assert.ok(tts.stats.lastSentenceMs > 0);
    });
  }

  it('stops between sentences when aborted', async () => {
    const tts = new EspeakTts();
    const text = Array.from({ length: 12 }, (_, i) => `This is sentence number ${i + 1}.`).join(' ');
    const full = durationMs(await collect(tts, text, PCM16_16K));
    const ctrl = new AbortController();
    const frames: AudioFrame[] = [];
    for await (const f of tts.synthesize({ text, format: PCM16_16K, signal: ctrl.signal })) {
      frames.push(f);
      ctrl.abort();
    }
    assert.ok(full > 10_000, `full run produced ${full} ms`);
    assert.equal(frames.length, 1);
  });

  it('keeps concurrent requests with different voices apart', async () => {
    // espeak is not bit-exact between runs (its state carries over), so compare lengths.
    const us = new EspeakTts({ voice: 'en-us' });
    const de = new EspeakTts({ voice: 'de' });
    const usText = 'Good morning. How can I help you today?';
    const deText = 'Guten Morgen. Wie kann ich Ihnen helfen?';
    const [a, b] = await Promise.all([collect(us, usText, PCM16_16K), collect(de, deText, PCM16_16K)]);
    const near = (x: number, y: number) => Math.abs(x - y) / y < 0.03;
    assert.ok(near(durationMs(a), durationMs(await collect(us, usText, PCM16_16K))));
    assert.ok(near(durationMs(b), durationMs(await collect(de, deText, PCM16_16K))));
  });

  it('falls back to the configured voice when the agent voice is not an espeak voice', async () => {
    const tts = new EspeakTts({ agentVoice: 'alloy', voice: 'en-gb-x-rp' });
    assert.equal(await tts.voiceName(), 'en-gb-x-rp');
  });
});

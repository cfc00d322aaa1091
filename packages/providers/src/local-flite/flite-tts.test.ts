import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { isProviderError } from '@switchboard/engine';
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
import { needBinary } from '../util/test-binaries.js';
import { FliteTts } from './flite-tts.js';

async function collect(
  tts: FliteTts,
  text: string,
  format: AudioFormat,
  signal = new AbortController().signal,
) {
  const frames: AudioFrame[] = [];
  for await (const f of tts.synthesize({ text, format, signal })) frames.push(f);
  return frames;
}
const durationMs = (frames: AudioFrame[]) => frames.reduce((s, f) => s + frameDurationMs(f), 0);

describe('FliteTts', () => {
  before(() => initMedia());

  for (const [voice, format] of [
    ['slt', MULAW_8K],
    ['kal', MULAW_8K],
    ['slt', PCM16_16K],
  ] as const) {
    it(`speaks with voice ${voice} as ${format.encoding} ${format.sampleRate} Hz`, async (t) => {
      if (!needBinary(t, 'flite', 'flite')) return;
      const tts = new FliteTts({ voice });
      await tts.prepare(new AbortController().signal);
      const frames = await collect(tts, 'What are your opening hours?', format);
      for (const f of frames) assert.deepEqual(f.format, format);
      const ms = durationMs(frames);
      assert.ok(ms > 800 && ms < 3000, `duration ${ms} ms`);
      const loud = frames.some((f) => dbfs(decodeFrame(f)) > -30);
      assert.ok(loud, 'audio should be audible');
      await tts.close();
    });
  }

  it('uses the agent voice only when flite has it', () => {
    assert.equal(new FliteTts({ agentVoice: 'alloy', voice: 'awb' }).voice, 'awb');
    assert.equal(new FliteTts({ agentVoice: 'kal' }).voice, 'kal');
    assert.deepEqual(new FliteTts({ voice: 'kal' }).supportedFormats, [
      { encoding: 'pcm16', sampleRate: 8000 },
    ]);
    assert.equal(new FliteTts().voice, 'slt');
  });

  it('stops when aborted', async (t) => {
    if (!needBinary(t, 'flite', 'flite')) return;
    const tts = new FliteTts();
    const text = Array.from({ length: 8 }, (_, i) => `This is sentence number ${i + 1}.`).join(' ');
    const ctrl = new AbortController();
    const frames: AudioFrame[] = [];
    for await (const f of tts.synthesize({ text, format: PCM16_16K, signal: ctrl.signal })) {
      frames.push(f);
      ctrl.abort();
    }
    assert.equal(frames.length, 1);
    await tts.close();
  });

  it('fails with a typed error naming the package when flite is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(
        new FliteTts().prepare(new AbortController().signal),
        (e: unknown) => isProviderError(e) && !e.retryable && /apt-get install -y flite/.test(e.message),
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { AsrEvent } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  initMedia,
  MULAW_8K,
  PCM16_16K,
  silence,
} from '@switchboard/media';
import { EspeakTts } from '../local-espeak/espeak-tts.js';
import { SoundSwallowerAsr, sharedDecoderPool } from './soundswallower-asr.js';

/** The demo receptionist's expected phrases (packages/server/src/bootstrap.ts). */
const DEMO_PHRASES = [
  'what are your opening hours',
  'where are you located',
  'i would like to book a table',
  'can i speak to a manager',
  'goodbye',
];

async function speak(text: string, format: AudioFormat, voice = 'en-us', wpm = 175): Promise<AudioFrame[]> {
  const tts = new EspeakTts({ voice, wordsPerMinute: wpm });
  const frames: AudioFrame[] = [];
  for await (const f of tts.synthesize({ text, format, signal: new AbortController().signal }))
    frames.push(f);
  return frames;
}

/** Feeds silence, `utterances` with a second of silence after each, then closes; all events. */
async function recognise(asr: SoundSwallowerAsr, utterances: AudioFrame[][], format: AudioFormat) {
  const stream = await asr.connect({
    format,
    language: 'en-US',
    phrases: DEMO_PHRASES,
    signal: new AbortController().signal,
  });
  const events: AsrEvent[] = [];
  const reading = (async () => {
    for await (const ev of stream.events) events.push(ev);
  })();
  const pad = silence(format, 20);
  for (let i = 0; i < 25; i++) stream.push(pad);
  const tick = () => new Promise((r) => setImmediate(r));
  for (const frames of utterances) {
    // A turn of the event loop every 200 ms of audio, so batches decode while the caller speaks
    // as they would in a real-time call (faster than real time here).
    for (const [i, f] of frames.entries()) {
      stream.push(f);
      if (i % 10 === 9) await tick();
    }
    for (let i = 0; i < 50; i++) stream.push(pad);
    await tick();
  }
  await stream.close();
  await reading;
  return events;
}

const finals = (events: AsrEvent[]) =>
  events.flatMap((e) => (e.type === 'final' ? [{ text: e.text, confidence: e.confidence ?? 0 }] : []));

describe('SoundSwallowerAsr (npm only, no system packages)', () => {
  before(() => initMedia());

  it('transcribes each demo question from G.711 μ-law audio as its own phrase', async () => {
    const questions = [
      ['What are your opening hours?', 'what are your opening hours'],
      ['Where are you located?', 'where are you located'],
      ['I would like to book a table.', 'i would like to book a table'],
      ['Can I speak to a manager?', 'can i speak to a manager'],
      ['Goodbye.', 'goodbye'],
    ] as const;
    const audio = await Promise.all(questions.map(([q]) => speak(q, MULAW_8K)));
    const events = await recognise(new SoundSwallowerAsr(), audio, MULAW_8K);
    const got = finals(events);
    // Regression: an earlier set-up decoded every utterance as one and the same alternative.
    assert.deepEqual(
      got.map((f) => f.text),
      questions.map(([, expected]) => expected),
    );
    for (const f of got) assert.ok(f.confidence >= 0.5, `${f.text}: confidence ${f.confidence}`);
    assert.ok(
      events.some((e) => e.type === 'partial'),
      'partials while the caller speaks',
    );
    const speech = events.filter((e) => e.type === 'speech-start' || e.type === 'speech-end');
    assert.equal(speech.length, questions.length * 2);
  });

  it('hears another voice and speed, and 16 kHz web audio', async () => {
    const audio = await speak('Where are you located?', PCM16_16K, 'en-gb-x-rp', 150);
    const events = await recognise(new SoundSwallowerAsr(), [audio], PCM16_16K);
    assert.deepEqual(
      finals(events).map((f) => f.text),
      ['where are you located'],
    );
  });

  it('gives a question outside the grammar a low confidence instead of a confident wrong match', async () => {
    const audio = await speak('Do you deliver food to my house?', MULAW_8K);
    const got = finals(await recognise(new SoundSwallowerAsr(), [audio], MULAW_8K));
    for (const f of got) assert.ok(f.confidence < 0.5, `${f.text}: confidence ${f.confidence}`);
  });

  it('shares decoders between calls and gives them back when the caller stops speaking', async () => {
    const pool = await sharedDecoderPool();
    const audio = await speak('Goodbye.', MULAW_8K);
    const runs = await Promise.all(
      [1, 2, 3].map(() => recognise(new SoundSwallowerAsr(), [audio], MULAW_8K)),
    );
    for (const events of runs)
      assert.deepEqual(
        finals(events).map((f) => f.text),
        ['goodbye'],
      );
    assert.equal(pool.stats.busy, 0);
    assert.ok(pool.stats.slots <= 3, `slots ${pool.stats.slots}`);
  });

  it('drops the utterance in progress and ends its events when the call is aborted', async () => {
    const pool = await sharedDecoderPool();
    const ctrl = new AbortController();
    const stream = await new SoundSwallowerAsr().connect({
      format: MULAW_8K,
      language: 'en-US',
      phrases: DEMO_PHRASES,
      signal: ctrl.signal,
    });
    const events: AsrEvent[] = [];
    const done = (async () => {
      for await (const ev of stream.events) events.push(ev);
    })();
    for (const f of await speak('What are your opening hours?', MULAW_8K)) stream.push(f);
    ctrl.abort();
    await done;
    await stream.close();
    assert.equal(finals(events).length, 0);
    assert.equal(pool.stats.busy, 0);
  });
});

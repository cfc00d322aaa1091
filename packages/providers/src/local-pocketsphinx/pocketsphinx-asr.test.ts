import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { type AsrEvent, isProviderError } from '@switchboard/engine';
import {
  type AudioFormat,
  type AudioFrame,
  initMedia,
  MULAW_8K,
  PCM16_8K,
  PCM16_16K,
  silence,
} from '@switchboard/media';
import { EspeakTts } from '../local-espeak/espeak-tts.js';
import { MODEL_IDS, type ModelSpec, modelSpec } from '../models/catalogue.js';
import { ModelLocator } from '../models/locator.js';
import { prepareModels } from '../models/models-dir.js';
import { needBinary } from '../util/test-binaries.js';
import { PocketsphinxAsr } from './pocketsphinx-asr.js';

const PHRASES = [
  'What are your opening hours?',
  'I would like to book a table for two.',
  'Can I speak to a manager, please?',
  'Please cancel my appointment for tomorrow.',
];

async function speak(text: string, format: AudioFormat): Promise<AudioFrame[]> {
  const tts = new EspeakTts();
  const frames: AudioFrame[] = [];
  for await (const f of tts.synthesize({ text, format, signal: new AbortController().signal }))
    frames.push(f);
  return frames;
}

/** Feeds `frames` then `tailMs` of silence, faster than real time, and collects events until close. */
async function recognise(asr: PocketsphinxAsr, frames: AudioFrame[], format: AudioFormat, phrases: string[]) {
  const ctrl = new AbortController();
  const stream = await asr.connect({ format, language: 'en-US', phrases, signal: ctrl.signal });
  const events: AsrEvent[] = [];
  const reading = (async () => {
    for await (const ev of stream.events) events.push(ev);
  })();
  const pad = silence(format, 20);
  for (let i = 0; i < 25; i++) stream.push(pad);
  for (const f of frames) stream.push(f);
  for (let i = 0; i < 50; i++) stream.push(pad);
  await stream.close();
  await reading;
  return events;
}

describe('PocketsphinxAsr', () => {
  before(() => initMedia());

  for (const format of [PCM16_8K, MULAW_8K, PCM16_16K]) {
    it(`recognises a synthesized phrase on ${format.encoding} ${format.sampleRate} Hz audio with a grammar`, async (t) => {
      if (!needBinary(t, 'pocketsphinx_continuous', 'pocketsphinx pocketsphinx-en-us')) return;
      const audio = await speak('What are your opening hours?', format);
      const events = await recognise(new PocketsphinxAsr(), audio, format, PHRASES);
      const finals = events.filter((e) => e.type === 'final').map((e) => e.text);
      assert.deepEqual(finals, ['what are your opening hours']);
      const speech = events.filter((e) => e.type === 'speech-start' || e.type === 'speech-end');
      assert.deepEqual(speech.map((e) => e.type).slice(0, 2), ['speech-start', 'speech-end']);
    });
  }

  it('loads the model from the models directory, with a grammar and with the open language model', async (t) => {
    if (!needBinary(t, 'pocketsphinx_continuous', 'pocketsphinx pocketsphinx-en-us')) return;
    const dir = mkdtempSync(join(tmpdir(), 'sb-psphinx-models-'));
    try {
      await prepareModels(dir, [modelSpec(MODEL_IDS.pocketsphinx) as ModelSpec]);
      const models = new ModelLocator(dir, { packaged: false });
      assert.equal((await models.locate(MODEL_IDS.pocketsphinx))?.from, 'models-dir');
      const audio = await speak('What are your opening hours?', PCM16_16K);
      const withGrammar = await recognise(new PocketsphinxAsr({ models }), audio, PCM16_16K, PHRASES);
      assert.deepEqual(
        withGrammar.filter((e) => e.type === 'final').map((e) => e.text),
        ['what are your opening hours'],
      );
      // Loading the 27 MB language model takes a while on a busy machine; close waits for it.
      const open = await recognise(
        new PocketsphinxAsr({ models, closeGraceMs: 30_000 }),
        audio,
        PCM16_16K,
        [],
      );
      const heard = open.filter((e) => e.type === 'final').map((e) => e.text);
      assert.equal(heard.length, 1, `one utterance, heard ${JSON.stringify(heard)}`);
      // The open model is the weaker one (20-70 % of words); the grammar's words still come through.
      assert.match(heard[0] ?? '', /what are your opening/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('kills the recogniser when the call is aborted', async (t) => {
    if (!needBinary(t, 'pocketsphinx_continuous', 'pocketsphinx pocketsphinx-en-us')) return;
    const ctrl = new AbortController();
    const stream = await new PocketsphinxAsr().connect({
      format: PCM16_8K,
      language: 'en-US',
      phrases: [],
      signal: ctrl.signal,
    });
    const pid = (stream as unknown as { pid?: number }).pid;
    const done = (async () => {
      for await (const _ of stream.events) {
        // drain
      }
    })();
    stream.push(silence(PCM16_8K, 100));
    ctrl.abort();
    await done;
    await stream.close();
    if (pid !== undefined) assert.equal(existsSync(`/proc/${pid}`), false, 'child should be gone');
  });

  it('surfaces a crash of the recogniser as a ProviderError on the events stream', async (t) => {
    if (!needBinary(t, 'pocketsphinx_continuous', 'pocketsphinx pocketsphinx-en-us')) return;
    const asr = new PocketsphinxAsr({ extraArgs: ['-hmm', '/nonexistent/model'] });
    const stream = await asr.connect({
      format: PCM16_16K,
      language: 'en-US',
      phrases: [],
      signal: new AbortController().signal,
    });
    await assert.rejects(
      (async () => {
        for await (const _ of stream.events) {
          // until it fails
        }
      })(),
      (e: unknown) => isProviderError(e) && /pocketsphinx exited/.test(e.message) && !e.retryable,
    );
    await stream.close();
  });

  it('fails with a typed error naming the package when the binary is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(
        new PocketsphinxAsr().connect({
          format: PCM16_8K,
          language: 'en-US',
          phrases: [],
          signal: new AbortController().signal,
        }),
        (e: unknown) =>
          isProviderError(e) &&
          !e.retryable &&
          /apt-get install -y pocketsphinx pocketsphinx-en-us/.test(e.message),
      );
    } finally {
      process.env.PATH = saved;
    }
  });
});

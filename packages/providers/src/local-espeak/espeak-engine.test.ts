import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EspeakNgWorker } from '@echogarden/espeak-ng-emscripten';
import { EspeakEngine } from './espeak-engine.js';

/** Records what the engine asks of the WASM worker, in order. */
class RecordingWorker implements EspeakNgWorker {
  readonly log: string[] = [];
  voice = '';
  set_voice(name: string): number {
    if (name === 'nope') return 2;
    this.voice = name;
    this.log.push(`voice ${name}`);
    return 0;
  }
  set_rate(wpm: number): number {
    this.log.push(`rate ${wpm}`);
    return 0;
  }
  get_samplerate(): number {
    return 22050;
  }
  synthesize(text: string, cb: (s: Int16Array, e: unknown[]) => boolean): void {
    if (text === 'boom') throw new Error('wasm trap');
    this.log.push(`synth ${text} as ${this.voice}`);
    cb(new Int16Array([1, 2]), []);
    cb(new Int16Array([3]), []);
  }
}

describe('EspeakEngine', () => {
  it('runs jobs one at a time, each with its own voice, and survives a failing job', async () => {
    const w = new RecordingWorker();
    const engine = new EspeakEngine(w);
    const results = await Promise.allSettled([
      engine.synthesize('one', 'en-us', 175),
      engine.synthesize('eins', 'de', 175),
      engine.synthesize('boom', 'de', 175),
      engine.synthesize('two', 'en-us', 175),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual((results[0] as PromiseFulfilledResult<Int16Array>).value, new Int16Array([1, 2, 3]));
    assert.deepEqual(
      w.log.filter((l) => l.startsWith('synth')),
      ['synth one as en-us', 'synth eins as de', 'synth two as en-us'],
    );
  });

  it('resolves the first voice espeak accepts', async () => {
    const engine = new EspeakEngine(new RecordingWorker());
    assert.equal(await engine.resolveVoice(['nope', 'fr']), 'fr');
    assert.equal(await engine.resolveVoice(['nope']), undefined);
  });
});

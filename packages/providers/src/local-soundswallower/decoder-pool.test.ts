import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileGrammar, DecoderPool } from './decoder-pool.js';
import { soundSwallowerRuntime } from './runtime.js';

describe('DecoderPool', () => {
  it('lends at most maxSlots slots and hands a returned one to the next waiting utterance', async () => {
    const runtime = await soundSwallowerRuntime();
    const grammar = compileGrammar(runtime, ['what are your opening hours', 'goodbye']);
    assert.ok(grammar);
    const pool = new DecoderPool(runtime, { maxSlots: 1 });
    try {
      const first = await pool.acquire(grammar);
      let second: unknown;
      const waiting = pool.acquire(grammar).then((s) => {
        second = s;
        return s;
      });
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(second, undefined);
      assert.deepEqual(pool.stats, { slots: 1, busy: 1, waiting: 1 });
      pool.release(first);
      assert.equal(await waiting, first);
      pool.release(first);
      assert.deepEqual(pool.stats, { slots: 1, busy: 0, waiting: 0 });
    } finally {
      pool.close();
    }
  });

  it('stops waiting when the utterance is abandoned, and fails waiters when closed', async () => {
    const runtime = await soundSwallowerRuntime();
    const grammar = compileGrammar(runtime, ['goodbye']);
    assert.ok(grammar);
    const pool = new DecoderPool(runtime, { maxSlots: 1 });
    const held = await pool.acquire(grammar);
    const ctrl = new AbortController();
    const abandoned = pool.acquire(grammar, ctrl.signal);
    ctrl.abort(new Error('call ended'));
    await assert.rejects(abandoned, /call ended/);
    assert.equal(pool.stats.waiting, 0);
    const pending = pool.acquire(grammar);
    pool.close();
    await assert.rejects(pending, /closed/);
    pool.release(held);
    assert.equal(pool.stats.slots, 0);
  });
});

describe('compileGrammar', () => {
  it("builds the grammar from the dictionary's words and pronunciations, leaving out unknown phrases", async () => {
    const runtime = await soundSwallowerRuntime();
    const g = compileGrammar(runtime, ['Can I read the menu?', 'Book at Qzxwv Trattoria']);
    assert.ok(g);
    assert.deepEqual(g.phrases, ['can i read the menu']);
    assert.deepEqual(g.skipped, [
      { phrase: 'Book at Qzxwv Trattoria', unknownWords: ['qzxwv', 'trattoria'] },
    ]);
    // Alternate pronunciations come along: "read" is both R EH D and R IY D.
    assert.deepEqual(
      g.words.filter(([w]) => w.startsWith('read')),
      [
        ['read', 'R EH D'],
        ['read(2)', 'R IY D'],
      ],
    );
    assert.equal(compileGrammar(runtime, ['Zyxw qrst']), undefined);
  });
});

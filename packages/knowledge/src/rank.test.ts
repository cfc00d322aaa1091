import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RRF_K, reciprocalRankFusion } from './rank.js';

test('reciprocal rank fusion sums 1/(k + rank) over the lists', () => {
  const lexical = ['a', 'b', 'c'];
  const vector = ['c', 'd', 'a'];
  const fused = reciprocalRankFusion([lexical, vector], (x) => x);
  const expected = {
    a: 1 / (RRF_K + 1) + 1 / (RRF_K + 3),
    c: 1 / (RRF_K + 3) + 1 / (RRF_K + 1),
    b: 1 / (RRF_K + 2),
    d: 1 / (RRF_K + 2),
  };
  assert.deepEqual(
    fused.map((f) => f.item),
    ['a', 'c', 'b', 'd'],
    'found by both lists first; ties in the order first seen',
  );
  for (const f of fused) assert.ok(Math.abs(f.score - expected[f.item as keyof typeof expected]) < 1e-12);
});

test('an item found by two lists beats one found first by one list only', () => {
  const fused = reciprocalRankFusion(
    [
      ['top-lexical', 'both'],
      ['top-vector', 'both'],
    ],
    (x) => x,
    { limit: 1 },
  );
  assert.deepEqual(
    fused.map((f) => f.item),
    ['both'],
  );
});

test('items are fused by key, with any k; the first item seen is kept for a key', () => {
  const lists = [
    [{ id: 'x', from: 'lexical' }, { id: 'y' }],
    [{ id: 'y' }, { id: 'z' }, { id: 'x', from: 'vector' }],
  ];
  const small = reciprocalRankFusion(lists, (h) => h.id, { k: 0 });
  assert.deepEqual(
    small.map((f) => f.item.id),
    ['y', 'x', 'z'],
  );
  assert.equal(small.find((f) => f.item.id === 'x')?.item.from, 'lexical');
  assert.deepEqual(
    reciprocalRankFusion([], (x: string) => x),
    [],
  );
});

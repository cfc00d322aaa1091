import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffLines, stableJson } from './diff';

test('a line diff keeps common lines and marks removed and added ones in order', () => {
  assert.deepEqual(diffLines('a\nb\nc', 'a\nx\nc\nd'), [
    { kind: 'same', text: 'a' },
    { kind: 'del', text: 'b' },
    { kind: 'add', text: 'x' },
    { kind: 'same', text: 'c' },
    { kind: 'add', text: 'd' },
  ]);
  assert.ok(diffLines('same', 'same').every((l) => l.kind === 'same'));
});

test('versions compare by field, whatever order their keys were stored in', () => {
  const v1 = { greeting: 'Hi', turnTaking: { endOfTurnSilenceMs: 700, minInterruptionMs: 400 } };
  const v2 = { turnTaking: { minInterruptionMs: 400, endOfTurnSilenceMs: 900 }, greeting: 'Hi' };
  const changed = diffLines(stableJson(v1), stableJson(v2)).filter((l) => l.kind !== 'same');
  assert.deepEqual(changed, [
    { kind: 'del', text: '    "endOfTurnSilenceMs": 700,' },
    { kind: 'add', text: '    "endOfTurnSilenceMs": 900,' },
  ]);
});

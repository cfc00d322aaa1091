import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBase64, encodeBase64 } from './base64.js';

test('canonical base64 round-trips, with and without padding', () => {
  for (const len of [0, 1, 2, 3, 4, 159, 160, 161]) {
    const data = Uint8Array.from({ length: len }, (_, i) => (i * 37) & 0xff);
    assert.deepEqual(decodeBase64(encodeBase64(data)), data, `length ${len}`);
  }
});

test('anything the decoder would skip or cut short is rejected, never shifted into audio', () => {
  for (const bad of [
    '***not base64***',
    '/////w=',
    'AB=C',
    'A=BC',
    'A===',
    '====',
    'AB C',
    'AB\nCD==',
    'ABé=',
    'ABCD====',
  ]) {
    assert.equal(decodeBase64(bad), undefined, JSON.stringify(bad));
  }
  assert.equal(decodeBase64(42), undefined);
  assert.equal(decodeBase64(undefined), undefined);
});

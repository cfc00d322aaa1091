import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byteRange } from './call-results.js';

test('a Range header is one byte range inside the file, or the whole file, or unsatisfiable', () => {
  assert.equal(byteRange(undefined, 1000), undefined);
  assert.deepEqual(byteRange('bytes=0-99', 1000), { start: 0, end: 99 });
  assert.deepEqual(byteRange('bytes=500-', 1000), { start: 500, end: 999 });
  assert.deepEqual(byteRange('bytes=-100', 1000), { start: 900, end: 999 });
  assert.deepEqual(byteRange('bytes=900-5000', 1000), { start: 900, end: 999 });
  assert.equal(byteRange('bytes=1000-', 1000), 'unsatisfiable');
  assert.equal(byteRange('bytes=50-10', 1000), 'unsatisfiable');
  // Several ranges or other units: the whole file is sent.
  assert.equal(byteRange('bytes=0-1,5-9', 1000), undefined);
  assert.equal(byteRange('items=0-1', 1000), undefined);
  assert.equal(byteRange('bytes=-', 1000), undefined);
});

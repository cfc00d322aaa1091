import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { jsonWithBase64 } from './ws-sts-session.js';

test('jsonWithBase64 writes the same base64 as Buffer#toString, between head and tail, for every length', () => {
  const head = Buffer.from('{"type":"audio","audio":"');
  const tail = Buffer.from('"}');
  for (const n of [0, 1, 2, 3, 4, 5, 159, 160, 161, 320, 641]) {
    const data = randomBytes(n);
    // A view into a larger buffer, as frames usually are.
    const view = Buffer.concat([Buffer.alloc(7), data]).subarray(7);
    const out = jsonWithBase64(head, view, tail).toString('latin1');
    assert.equal(out, `{"type":"audio","audio":"${data.toString('base64')}"}`, `length ${n}`);
    assert.deepEqual(Buffer.from(JSON.parse(out).audio, 'base64'), data);
  }
});

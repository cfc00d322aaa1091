import assert from 'node:assert/strict';
import { test } from 'node:test';
import { plivoSignature, plivoSignedString, validatePlivoSignature } from './plivo-signature.js';

// No published vector: the strings below spell out plivo-node's construction by hand.
test('string to sign: base URL, sorted query, then name+value body pairs', () => {
  assert.equal(
    plivoSignedString('https://a.example/plivo/answer', { To: '14155550199', CallUUID: 'u-1', From: '1415' }),
    'https://a.example/plivo/answer?CallUUIDu-1From1415To14155550199',
  );
  assert.equal(
    plivoSignedString('https://a.example/plivo/hangup?ref=c1&a=2', { CallStatus: 'completed' }),
    'https://a.example/plivo/hangup?a=2&ref=c1.CallStatuscompleted',
  );
  assert.equal(plivoSignedString('https://a.example/x?b=1', {}), 'https://a.example/x?b=1');
  assert.equal(plivoSignedString('https://a.example/x', {}), 'https://a.example/x');
});

test('signature validates, also among several; tampering fails', () => {
  const url = 'https://a.example/plivo/answer?ref=c1';
  const params = { CallUUID: 'u-1', From: '14155550100' };
  const sig = plivoSignature('tok', url, params, 'n0nce');
  assert.ok(validatePlivoSignature('tok', sig, 'n0nce', url, params));
  assert.ok(validatePlivoSignature('tok', `AAAA, ${sig}`, 'n0nce', url, params));
  assert.equal(validatePlivoSignature('tok', sig, 'other', url, params), false);
  assert.equal(validatePlivoSignature('tok', sig, 'n0nce', url, { ...params, From: '1' }), false);
  assert.equal(validatePlivoSignature('tok', undefined, 'n0nce', url, params), false);
});

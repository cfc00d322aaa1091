import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { createRecordingLinks } from './recording-links.js';
import { computeSignature, signatureHeader, verifySignature } from './signature.js';

const secret = 'whsec_test';
const body = '{"id":"e1","type":"call.ended"}';

test('a signature made by signatureHeader verifies, and any change to body, secret or time fails', () => {
  const now = 1_800_000_000_000;
  const header = signatureHeader(secret, body, now);
  assert.match(header, /^t=1800000000,v1=[0-9a-f]{64}$/);
  assert.deepEqual(verifySignature(secret, header, body, 300, now + 10_000), {
    ok: true,
    timestamp: 1_800_000_000,
  });
  assert.equal(verifySignature(secret, header, Buffer.from(body), 300, now).ok, true);
  assert.equal(verifySignature(secret, header, `${body} `, 300, now).ok, false);
  assert.equal(verifySignature('whsec_other', header, body, 300, now).ok, false);
  assert.deepEqual(verifySignature(secret, header, body, 300, now + 301_000), {
    ok: false,
    reason: 'timestamp outside tolerance',
  });
  assert.equal(verifySignature(secret, undefined, body).ok, false);
  assert.equal(verifySignature(secret, 'v1=abc', body).ok, false);
  assert.equal(verifySignature(secret, 't=1800000000', body, 300, now).ok, false);
});

test('the MAC is HMAC-SHA256 of "<t>.<body>" (receivers in any language can check it)', () => {
  const t = 1_800_000_000;
  assert.equal(
    computeSignature(secret, t, body),
    createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'),
  );
  // During a rotation a header may carry several v1 values; one match is enough.
  const header = `t=${t},v1=${'0'.repeat(64)},v1=${computeSignature(secret, t, body)}`;
  assert.equal(verifySignature(secret, header, body, 300, t * 1000).ok, true);
});

test('recording links verify until they expire and only for their call', () => {
  const links = createRecordingLinks({
    publicUrl: 'https://sb.example.com/',
    internalToken: 'x'.repeat(32),
    ttlMs: 60_000,
  });
  const now = 1_800_000_000_000;
  const url = new URL(links.url('c1', now));
  assert.equal(url.origin + url.pathname, 'https://sb.example.com/v1/calls/c1/recording');
  const e = url.searchParams.get('expires') ?? undefined;
  const s = url.searchParams.get('sig') ?? undefined;
  assert.equal(links.verify('c1', e, s, now + 59_000), true);
  assert.equal(links.verify('c1', e, s, now + 61_000), false);
  assert.equal(links.verify('c2', e, s, now), false);
  const other = createRecordingLinks({ publicUrl: 'https://sb.example.com', internalToken: 'y'.repeat(32) });
  assert.equal(other.verify('c1', e, s, now), false);
});

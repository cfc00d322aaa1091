import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  buildAuthorization,
  computeDigestResponse,
  formatDigestChallenge,
  parseDigestChallenge,
  parseDigestCredentials,
  verifyDigest,
} from './digest.js';
import { DigestError, SipParseError } from './errors.js';

// RFC 7616 §3.9.1 test vectors (also the RFC 2617 shape for MD5 with qop=auth).
const rfc7616 = {
  username: 'Mufasa',
  realm: 'http-auth@example.org',
  password: 'Circle of Life',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  qop: 'auth',
  method: 'GET',
  uri: '/dir/index.html',
};

describe('computeDigestResponse', () => {
  test('matches RFC 7616 for MD5 and SHA-256', () => {
    assert.equal(computeDigestResponse({ ...rfc7616, algorithm: 'MD5' }), '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(
      computeDigestResponse({ ...rfc7616, algorithm: 'SHA-256' }),
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  test('matches RFC 2617 §3.5', () => {
    const r = computeDigestResponse({
      username: 'Mufasa',
      realm: 'testrealm@host.com',
      password: 'Circle Of Life',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      uri: '/dir/index.html',
      method: 'GET',
      qop: 'auth',
      nc: '00000001',
      cnonce: '0a4f113b',
    });
    assert.equal(r, '6629fae49393a05397450978507c4ef1');
  });

  test('rejects unknown algorithms with DigestError', () => {
    assert.throws(() => computeDigestResponse({ ...rfc7616, algorithm: 'SHA-1' }), DigestError);
  });
});

describe('challenge and credentials', () => {
  test('parses an Asterisk-style challenge without spaces', () => {
    const c = parseDigestChallenge(
      'Digest realm="asterisk",nonce="1735725600/abc",opaque="5ccc",algorithm=MD5,qop="auth"',
    );
    assert.equal(c.realm, 'asterisk');
    assert.equal(c.nonce, '1735725600/abc');
    assert.deepEqual(c.qop, ['auth']);
    assert.equal(c.opaque, '5ccc');
  });

  test('buildAuthorization answers a 401 and verifyDigest accepts it; a wrong password fails', () => {
    for (const algorithm of ['MD5', 'SHA-256', 'MD5-sess'] as const) {
      const challenge = formatDigestChallenge({ realm: 'switchboard', algorithm, opaque: 'op' });
      const header = buildAuthorization(challenge, {
        username: 'alice',
        password: 's3cret',
        method: 'REGISTER',
        uri: 'sip:127.0.0.1',
      });
      const creds = parseDigestCredentials(header);
      assert.equal(creds.qop, 'auth');
      assert.equal(creds.nc, '00000001');
      assert.equal(creds.opaque, 'op');
      assert.ok(
        verifyDigest(header, { method: 'REGISTER', realm: 'switchboard', password: 's3cret' }),
        algorithm,
      );
      assert.ok(!verifyDigest(header, { method: 'REGISTER', realm: 'switchboard', password: 'nope' }));
      assert.ok(!verifyDigest(header, { method: 'INVITE', realm: 'switchboard', password: 's3cret' }));
      assert.ok(!verifyDigest(header, { method: 'REGISTER', realm: 'other', password: 's3cret' }));
    }
  });

  test('answers an RFC 2069 challenge without qop', () => {
    const header = buildAuthorization('Digest realm="r", nonce="n"', {
      username: 'u',
      password: 'p',
      method: 'INVITE',
      uri: 'sip:x',
    });
    assert.doesNotMatch(header, /qop|cnonce|nc=/);
    assert.ok(verifyDigest(header, { method: 'INVITE', realm: 'r', password: 'p' }));
  });

  test('rejects challenges lacking realm or nonce', () => {
    assert.throws(() => parseDigestChallenge('Digest nonce="n"'), SipParseError);
    assert.throws(() => parseDigestChallenge('Digest realm="r", nonce="n'), SipParseError);
    assert.throws(
      () =>
        buildAuthorization('Basic realm="r", nonce="n"', {
          username: 'u',
          password: 'p',
          method: 'X',
          uri: 'y',
        }),
      DigestError,
    );
  });
});

describe('digest properties', () => {
  test('random header values never throw anything but the typed errors; verifyDigest never throws', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.stringMatching(/^Digest [a-z="., ]{0,60}$/),
      fc.stringMatching(
        /^Digest (username|realm|nonce|uri|response|qop|nc|cnonce|algorithm)="?[a-z0-9-]{0,6}"?(, ?[a-z]+="?[a-zA-Z0-9-]{0,5}"?){0,8}$/,
      ),
    );
    fc.assert(
      fc.property(value, (v) => {
        for (const parse of [parseDigestChallenge, parseDigestCredentials]) {
          try {
            parse(v);
          } catch (e) {
            if (!(e instanceof SipParseError)) throw e;
          }
        }
        assert.equal(typeof verifyDigest(v, { method: 'REGISTER', realm: 'r', password: 'p' }), 'boolean');
      }),
      { numRuns: 3000 },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { nameAddr, sipUri, via } from '../fuzz/arbitraries.js';
import { SipParseError } from './errors.js';
import { formatVia, parseCSeq, parseVia, viaResponseTarget } from './headers.js';
import { formatNameAddr, formatUri, parseNameAddr, parseUri } from './uri.js';

describe('parseUri', () => {
  test('reads user, password, host, port, params and headers', () => {
    const uri = parseUri('sips:alice;day=tue:pw@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&x=');
    assert.equal(uri.scheme, 'sips');
    assert.equal(uri.user, 'alice;day=tue');
    assert.equal(uri.password, 'pw');
    assert.equal(uri.host, '2001:db8::1');
    assert.equal(uri.port, 5061);
    assert.deepEqual(
      [...uri.params],
      [
        ['transport', 'tcp'],
        ['lr', null],
      ],
    );
    assert.deepEqual(uri.headers, [
      ['subject', 'hi'],
      ['x', ''],
    ]);
    assert.equal(formatUri(uri), 'sips:alice;day=tue:pw@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&x=');
  });

  test('accepts a host-only URI and rejects other schemes and bad ports', () => {
    assert.deepEqual(parseUri('sip:10.0.0.5').host, '10.0.0.5');
    for (const bad of ['tel:+1555', 'sip:', 'sip:a@b:99999', 'sip:a b@c', 'sip:[::1']) {
      assert.throws(() => parseUri(bad), SipParseError, bad);
    }
  });
});

describe('parseNameAddr', () => {
  test('handles quoted and token display names, bare addr-spec and header params', () => {
    const a = parseNameAddr(
      '"Bob \\"B\\" Smith" <sip:bob@example.com;transport=tcp>;tag=abc;+sip.instance="<urn:x>"',
    );
    assert.equal(a.displayName, 'Bob "B" Smith');
    assert.equal(a.uri, 'sip:bob@example.com;transport=tcp');
    assert.equal(a.params.get('tag'), 'abc');
    assert.equal(a.params.get('+sip.instance'), '"<urn:x>"');
    const b = parseNameAddr('Alice Liddell <sip:alice@wonderland>');
    assert.equal(b.displayName, 'Alice Liddell');
    const c = parseNameAddr('sip:carol@chicago.com;tag=887s');
    assert.equal(c.uri, 'sip:carol@chicago.com');
    assert.equal(c.params.get('tag'), '887s');
    assert.equal(formatNameAddr(c), '<sip:carol@chicago.com>;tag=887s');
  });

  test('an empty quoted display name is no display name, and writes back the same', () => {
    const na = parseNameAddr('"" <sip:a@b>;tag=1');
    assert.equal(na.displayName, undefined);
    assert.deepEqual(parseNameAddr(formatNameAddr(na)), na);
  });

  test('rejects broken quoting and brackets', () => {
    for (const bad of ['"open <sip:a@b>', '<sip:a@b', 'x <sip:a@b> junk', '<>', 'a"b <sip:a@b>']) {
      assert.throws(() => parseNameAddr(bad), SipParseError, bad);
    }
  });
});

describe('Via and CSeq', () => {
  test('parses branch, received and rport, and picks the response target (RFC 3581)', () => {
    const v = parseVia('SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=198.51.100.7;rport=40123');
    assert.deepEqual(viaResponseTarget(v), { host: '198.51.100.7', port: 40123 });
    assert.deepEqual(viaResponseTarget(parseVia('SIP/2.0/TLS example.com;branch=z9hG4bK2')), {
      host: 'example.com',
      port: 5061,
    });
    assert.equal(
      formatVia(v),
      'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1;received=198.51.100.7;rport=40123',
    );
    assert.throws(() => parseVia('SIP/2.0/UDP host;rport=abc'), SipParseError);
    assert.throws(() => parseVia('garbage'), SipParseError);
  });

  test('CSeq must be a number below 2^31 and a method', () => {
    assert.deepEqual(parseCSeq(' 4711  INVITE '), { seq: 4711, method: 'INVITE' });
    for (const bad of ['INVITE', '2147483648 INVITE', '-1 BYE', '1 2 3']) {
      assert.throws(() => parseCSeq(bad), SipParseError, bad);
    }
  });
});

describe('URI and header properties', () => {
  const onlyTyped = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  };

  test('random strings never throw anything but SipParseError', () => {
    const s = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.stringMatching(/^[sip:<>";@,=[\]a-z0-9. \\/]{0,40}$/),
    );
    fc.assert(
      fc.property(s, (x) => {
        onlyTyped(() => parseUri(x));
        onlyTyped(() => parseNameAddr(x));
        onlyTyped(() => parseVia(x));
        onlyTyped(() => parseCSeq(x));
      }),
      { numRuns: 3000 },
    );
  });

  test('URIs, name-addrs and Vias round-trip', () => {
    fc.assert(
      fc.property(sipUri, nameAddr, via, (u, na, v) => {
        assert.deepEqual(parseUri(formatUri(u)), u);
        assert.deepEqual(parseNameAddr(formatNameAddr(na)), na);
        assert.deepEqual(parseVia(formatVia(v)), v);
      }),
      { numRuns: 1000 },
    );
  });
});

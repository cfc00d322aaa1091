import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { sipMessage } from '../fuzz/arbitraries.js';
import { SipParseError } from './errors.js';
import { getHeader, getHeaders, getHeaderValues, parseCSeq, parseVia, setHeader, topVia } from './headers.js';
import { isKeepAlive, parseSipMessage, type SipRequest, serializeSipMessage } from './message.js';
import { parseNameAddr } from './uri.js';

const corpus = (name: string) => readFileSync(new URL(`../../fuzz/corpus/sip/${name}`, import.meta.url));

describe('parseSipMessage', () => {
  test('parses the trunk INVITE of protocols.md §10.1', () => {
    const msg = parseSipMessage(corpus('ok-trunk-invite.sip')) as SipRequest;
    assert.equal(msg.kind, 'request');
    assert.equal(msg.method, 'INVITE');
    assert.equal(msg.uri, 'sip:+15559870002@10.0.0.5:5060');
    assert.equal(getHeader(msg, 'call-id'), '3848276298220188511@203.0.113.10');
    assert.deepEqual(parseCSeq(getHeader(msg, 'CSEQ') ?? ''), { seq: 314159, method: 'INVITE' });
    const via = topVia(msg);
    assert.equal(via.transport, 'UDP');
    assert.equal(via.params.get('branch'), 'z9hG4bK74bf9');
    assert.equal(via.params.get('rport'), null);
    assert.equal(parseNameAddr(getHeader(msg, 'from') ?? '').params.get('tag'), '9fxced76sl');
    assert.equal(msg.body.length, Number(getHeader(msg, 'content-length')));
    assert.match(msg.body.toString(), /^v=0\r\n[\s\S]*a=sendrecv\r\n$/);
  });

  test('reads compact forms, folded lines, odd spacing and multi-value Via (RFC 4475 wsinv)', () => {
    const msg = parseSipMessage(corpus('ok-compact-folded.sip'));
    const vias = getHeaderValues(msg, 'via').map(parseVia);
    assert.deepEqual(
      vias.map((v) => [v.transport, v.host, v.params.get('branch')]),
      [
        ['UDP', '192.0.2.2', '390skdjuw'],
        ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'],
        ['UDP', '192.168.255.111', 'z9hG4bK30239'],
      ],
    );
    assert.equal(parseNameAddr(getHeader(msg, 'to') ?? '').params.get('tag'), '1918181833n');
    const from = parseNameAddr(getHeader(msg, 'from') ?? '');
    assert.equal(from.displayName, 'J Rosenberg \\"');
    assert.equal(from.params.get('tag'), '98asjd8');
    assert.equal(getHeader(msg, 'Subject'), '');
    assert.equal(getHeader(msg, 'newfangledheader'), 'newfangled value continued newfangled value');
    assert.deepEqual(parseCSeq(getHeader(msg, 'cseq') ?? ''), { seq: 9, method: 'INVITE' });
    const contact = parseNameAddr(getHeader(msg, 'm') ?? '');
    assert.equal(contact.displayName, 'Quoted string ""');
    assert.equal(contact.params.get('q'), '0.33');
    assert.equal(msg.headers[0]?.name, 'To');
  });

  test('truncates the body to Content-Length and rejects a short body', () => {
    const raw = 'OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\nabcdef';
    assert.equal(parseSipMessage(raw).body.toString(), 'abc');
    assert.throws(() => parseSipMessage(raw.replace(': 3', ': 30')), SipParseError);
  });

  test('without Content-Length a datagram body is the rest; a framed stream message has none', () => {
    const raw = 'MESSAGE sip:a@b SIP/2.0\r\nCSeq: 1 MESSAGE\r\n\r\nhello';
    assert.equal(parseSipMessage(raw).body.toString(), 'hello');
    assert.equal(parseSipMessage(raw, { transport: 'stream' }).body.length, 0);
  });

  test('parses a response with an empty reason and a head lacking the blank line', () => {
    const msg = parseSipMessage('SIP/2.0 180\r\nCSeq: 1 INVITE\r\n');
    assert.equal(msg.kind === 'response' && msg.status, 180);
    assert.equal(msg.kind === 'response' && msg.reason, '');
  });

  test('rejects malformed input with SipParseError', () => {
    for (const bad of [
      '',
      '\r\n\r\n',
      'INVITE sip:a@b\r\n\r\n',
      'SIP/2.0 99 Low\r\n\r\n',
      'INVITE sip:a@b SIP/2.0\r\n continuation\r\n\r\n',
      'INVITE sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nxx',
      'INVITE sip:a@b SIP/2.0\r\nBad Header: x\r\n\r\n',
    ]) {
      assert.throws(() => parseSipMessage(bad), SipParseError, JSON.stringify(bad));
    }
  });

  test('recognises CRLF keep-alives', () => {
    assert.ok(isKeepAlive(Buffer.from('\r\n\r\n')));
    assert.ok(!isKeepAlive(Buffer.from('OPTIONS')));
  });
});

describe('serializeSipMessage', () => {
  test('writes CRLF lines and rewrites Content-Length in place', () => {
    const msg = parseSipMessage(corpus('ok-trunk-invite.sip'));
    msg.body = Buffer.from('x');
    const text = serializeSipMessage(msg).toString();
    assert.match(text, /\r\nContent-Type: application\/sdp\r\nContent-Length: 1\r\n\r\nx$/);
    assert.equal(getHeaders(parseSipMessage(text), 'content-length').length, 1);
  });

  test('setHeader replaces every occurrence at the first position', () => {
    const msg = parseSipMessage('OPTIONS sip:a@b SIP/2.0\r\nv: x\r\nCSeq: 1 OPTIONS\r\nVia: y\r\n\r\n');
    setHeader(msg, 'via', 'z');
    assert.deepEqual(msg.headers, [
      { name: 'Via', value: 'z' },
      { name: 'CSeq', value: '1 OPTIONS' },
    ]);
  });
});

describe('SIP message properties', () => {
  test('random bytes never throw anything but SipParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        try {
          parseSipMessage(Buffer.from(bytes));
        } catch (e) {
          if (!(e instanceof SipParseError)) throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('mutated real messages never throw anything but SipParseError', () => {
    const seed = corpus('ok-baresip-invite.sip');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (edits) => {
          const buf = Buffer.from(seed);
          for (const [i, b] of edits) buf[i] = b;
          try {
            parseSipMessage(buf);
          } catch (e) {
            if (!(e instanceof SipParseError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('generated messages round-trip through serialize and parse', () => {
    fc.assert(
      fc.property(sipMessage, (msg) => {
        const parsed = parseSipMessage(serializeSipMessage(msg));
        const expected = {
          ...msg,
          headers: [...msg.headers, { name: 'Content-Length', value: String(msg.body.length) }],
        };
        assert.deepEqual(parsed, expected);
        const via = topVia(parsed);
        assert.ok(via.params.get('branch')?.startsWith('z9hG4bK'));
        parseNameAddr(getHeader(parsed, 'from') ?? '');
      }),
      { numRuns: 500 },
    );
  });
});

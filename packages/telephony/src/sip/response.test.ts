import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { getHeader, getHeaders } from './headers.js';
import { parseSipMessage, type SipRequest, serializeSipMessage } from './message.js';
import { makeResponse, newBranch, newCallId, newTag } from './response.js';
import { parseNameAddr } from './uri.js';

const invite = () =>
  parseSipMessage(
    readFileSync(new URL('../../fuzz/corpus/sip/ok-trunk-invite.sip', import.meta.url)),
  ) as SipRequest;

describe('makeResponse', () => {
  test('100 Trying copies the dialog headers and adds no To tag', () => {
    const res = makeResponse(invite(), 100);
    assert.equal(res.reason, 'Trying');
    assert.deepEqual(
      res.headers.map((h) => h.name),
      ['Via', 'From', 'To', 'Call-ID', 'CSeq'],
    );
    assert.equal(getHeader(res, 'to'), '<sip:+15559870002@10.0.0.5>');
  });

  test('200 OK carries our tag, the stamped Via and extra headers (protocols.md §10.1)', () => {
    const res = makeResponse(invite(), 200, undefined, {
      toTag: 'a6c85cf',
      source: { address: '203.0.113.10', port: 5060 },
      headers: [{ name: 'Contact', value: '<sip:agent@10.0.0.5:5060>' }],
      body: 'v=0\r\n',
    });
    const text = serializeSipMessage(res).toString();
    assert.match(text, /^SIP\/2\.0 200 OK\r\n/);
    assert.match(text, /\r\nVia: SIP\/2\.0\/UDP 203\.0\.113\.10:5060;branch=z9hG4bK74bf9;rport=5060\r\n/);
    assert.match(text, /\r\nTo: <sip:\+15559870002@10\.0\.0\.5>;tag=a6c85cf\r\n/);
    assert.match(text, /\r\nContact: <sip:agent@10\.0\.0\.5:5060>\r\nContent-Length: 5\r\n\r\nv=0\r\n$/);
  });

  test('adds received when the source differs, keeps all Vias in order and copies Record-Route', () => {
    const req = invite();
    req.headers.splice(1, 0, {
      name: 'Via',
      value: 'SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKb, SIP/2.0/TCP 10.2.2.2;branch=z9hG4bKc',
    });
    req.headers.push({ name: 'Record-Route', value: '<sip:proxy;lr>' });
    const res = makeResponse(req, 180, undefined, { source: { address: '198.51.100.1', port: 7000 } });
    const vias = getHeaders(res, 'via');
    assert.equal(vias.length, 3);
    assert.match(vias[0] ?? '', /;rport=7000;received=198\.51\.100\.1$/);
    assert.equal(vias[2], 'SIP/2.0/TCP 10.2.2.2;branch=z9hG4bKc');
    assert.deepEqual(getHeaders(res, 'record-route'), ['<sip:proxy;lr>']);
    assert.ok(parseNameAddr(getHeader(res, 'to') ?? '').params.get('tag'));
    assert.deepEqual(getHeaders(makeResponse(req, 486), 'record-route'), []);
  });

  test('keeps an existing To tag on in-dialog requests', () => {
    const req = invite();
    req.headers = req.headers.map((h) => (h.name === 'To' ? { ...h, value: `${h.value};tag=theirs` } : h));
    assert.match(getHeader(makeResponse(req, 200, undefined, { toTag: 'mine' }), 'to') ?? '', /;tag=theirs$/);
  });
});

test('identifiers are random and branches carry the RFC 3261 cookie', () => {
  assert.match(newBranch(), /^z9hG4bK[0-9a-f]{20}$/);
  assert.notEqual(newTag(), newTag());
  assert.match(newCallId('10.0.0.5'), /^[0-9a-f]{32}@10\.0\.0\.5$/);
});

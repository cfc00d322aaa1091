import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cuts, sipMessage, splitAt } from '../fuzz/arbitraries.js';
import { SipStreamFramer, type SipStreamItem } from './framer.js';
import { serializeSipMessage } from './message.js';

const corpus = (name: string) => readFileSync(new URL(`../../fuzz/corpus/${name}`, import.meta.url));
const kinds = (items: SipStreamItem[]) =>
  items.map((i) => (i.type === 'message' ? i.raw.toString('latin1') : i.type));

describe('SipStreamFramer', () => {
  test('splits pipelined messages, reports a keep-alive and one error per run of garbage', () => {
    const items = new SipStreamFramer().push(corpus('sip-stream/ok-pipelined.sip'));
    assert.deepEqual(
      items.map((i) => i.type),
      ['message', 'message', 'keepalive', 'error', 'message'],
    );
    const first = items[0];
    assert.ok(
      first?.type === 'message' && first.message.kind === 'request' && first.message.method === 'INVITE',
    );
  });

  test('carries a partial message over to the next chunk', () => {
    const raw = corpus('sip/ok-trunk-invite.sip');
    const framer = new SipStreamFramer();
    assert.deepEqual(framer.push(raw.subarray(0, 100)), []);
    assert.ok(framer.pendingBytes > 0);
    const items = framer.push(raw.subarray(100));
    assert.equal(items.length, 1);
    assert.equal(framer.pendingBytes, 0);
  });

  test('rejects a Content-Length past the limit and resynchronises on the next message', () => {
    const items = new SipStreamFramer({ maxMessageBytes: 4096 }).push(
      corpus('sip-stream/ok-huge-length.sip'),
    );
    assert.deepEqual(
      items.map((i) => i.type),
      ['error', 'message'],
    );
  });

  test('bounds memory when a peer never ends its line', () => {
    const framer = new SipStreamFramer({ maxMessageBytes: 1000 });
    const items = [...framer.push(Buffer.alloc(800, 0x41)), ...framer.push(Buffer.alloc(800, 0x41))];
    assert.deepEqual(
      items.map((i) => i.type),
      ['error'],
    );
    assert.ok(framer.pendingBytes <= 1000);
    assert.equal(
      framer.push(corpus('sip/ok-compact-options.sip')).length,
      0,
      'rest of the long line is skipped',
    );
    assert.equal(framer.push(Buffer.from('\n')).length, 0);
    assert.equal(framer.push(corpus('sip/ok-compact-options.sip'))[0]?.type, 'message');
  });

  test('a message that fails to parse is reported and skipped', () => {
    const bad = 'OPTIONS sip:a@b SIP/2.0\r\nBad Header\r\nContent-Length: 0\r\n\r\n';
    const items = new SipStreamFramer().push(
      Buffer.concat([Buffer.from(bad), corpus('sip/ok-compact-options.sip')]),
    );
    assert.deepEqual(
      items.map((i) => i.type),
      ['error', 'message'],
    );
  });
});

describe('SipStreamFramer properties', () => {
  test('splitting a valid stream at random points gives the same messages', () => {
    fc.assert(
      fc.property(
        fc.array(sipMessage, { minLength: 1, maxLength: 4 }),
        cuts,
        fc.boolean(),
        (msgs, at, ping) => {
          const wire = msgs.map((m) => serializeSipMessage(m));
          const stream = Buffer.concat(ping ? wire.flatMap((w) => [w, Buffer.from('\r\n\r\n')]) : wire);
          const framer = new SipStreamFramer();
          const items = splitAt(stream, at).flatMap((c) => framer.push(c));
          const messages = items.filter((i) => i.type === 'message');
          assert.deepEqual(
            messages.map((m) => m.raw),
            wire,
          );
          assert.equal(items.length, ping ? 2 * msgs.length : msgs.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('random bytes in random chunks never throw and give the same items as one chunk', () => {
    const noisy = fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
        sipMessage.map((m) => serializeSipMessage(m)),
        fc.constantFrom(
          Buffer.from('\r\n'),
          Buffer.from('SIP/2.0 200 OK\r\n'),
          Buffer.from('Content-Length: 9\r\n'),
        ),
      ),
      { maxLength: 8 },
    );
    fc.assert(
      fc.property(noisy, cuts, (parts, at) => {
        const stream = Buffer.concat(parts);
        const whole = new SipStreamFramer({ maxMessageBytes: 2048 }).push(stream);
        const framer = new SipStreamFramer({ maxMessageBytes: 2048 });
        const chunked = splitAt(stream, at).flatMap((c) => framer.push(c));
        assert.deepEqual(kinds(chunked), kinds(whole));
      }),
      { numRuns: 500 },
    );
  });
});

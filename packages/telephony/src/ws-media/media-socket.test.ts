import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mediaPayloadText, parseJsonObject } from './media-socket.js';
import { loadFixture } from './scripted-socket.js';

const raw = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

test('mediaPayloadText reads the payload of the compact media messages carriers send', () => {
  const twilio = loadFixture('twilio', 'media');
  assert.equal(mediaPayloadText(raw(twilio), false), '/////w==');
  const telnyx = {
    event: 'media',
    sequence_number: '4',
    media: { track: 'inbound', chunk: '2', timestamp: '5', payload: 'AAEC' },
    stream_id: 's',
  };
  assert.equal(mediaPayloadText(raw(telnyx), false), 'AAEC');
  // It agrees with the full parse whenever it answers.
  for (const m of [twilio, telnyx]) {
    const parsed = parseJsonObject(raw(m), false) as { media: { payload: string } };
    assert.equal(mediaPayloadText(raw(m), false), parsed.media.payload);
  }
});

test('mediaPayloadText declines every other shape, which then takes the JSON path', () => {
  const declined = [
    JSON.stringify({ event: 'media', media: { payload: 'AAEC' } }, null, 2), // not compact
    '{"streamSid":"MZ1","event":"media","media":{"payload":"AAEC"}}', // event not first
    '{"event":"media","media":{"payload":"AAEC","track":"inbound"}}', // payload not last
    '{"event":"media","x":{"payload":"AAAA"},"media":{"payload":"AAEC"}}', // two payloads
    '{"event":"mark","mark":{"name":"sb-1"}}',
    '{"event":"media","media":{}}',
  ];
  for (const text of declined) assert.equal(mediaPayloadText(raw(text), false), undefined, text);
  assert.equal(mediaPayloadText(raw('{"event":"media","media":{"payload":"AAEC"}}'), true), undefined);
});

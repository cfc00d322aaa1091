import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { MULAW_8K } from '@switchboard/media';
import { httpTtsCases } from '../util/http-tts-cases.js';
import { fixture } from '../util/test-servers.js';
import { DeepgramAuraTts } from './deepgram-aura-tts.js';

describe('DeepgramAuraTts', () => {
  httpTtsCases({
    build: (url, extra) => new DeepgramAuraTts({ apiKey: 'dg-key', baseUrl: `${url}/v1`, ...extra }),
    callFormat: MULAW_8K,
    audio: new Uint8Array(1600).map((_, i) => 0x10 + (i % 64)),
    contentType: 'audio/basic',
    error401: fixture('deepgram/speak-401.json'),
    error429: fixture('deepgram/speak-429.json'),
    checkRequest: (req) => {
      const url = new URL(req.url, 'http://x');
      assert.equal(url.pathname, '/v1/speak');
      assert.equal(url.searchParams.get('encoding'), 'mulaw');
      assert.equal(url.searchParams.get('sample_rate'), '8000');
      assert.equal(url.searchParams.get('container'), 'none');
      assert.equal(url.searchParams.get('model'), 'aura-2-thalia-en');
      assert.equal(req.headers.authorization, 'Token dg-key');
      assert.deepEqual(JSON.parse(String(req.body)), { text: 'Your appointment is booked.' });
    },
  });
});

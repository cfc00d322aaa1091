import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { PCM16_16K } from '@switchboard/media';
import { httpTtsCases } from '../util/http-tts-cases.js';
import { fixture } from '../util/test-servers.js';
import { OpenAiTts } from './openai-tts.js';

/** 100 ms of a 24 kHz s16le ramp. */
const pcm24k = new Uint8Array(Int16Array.from({ length: 2400 }, (_, i) => ((i * 37) % 8000) - 4000).buffer);

describe('OpenAiTts', () => {
  httpTtsCases({
    build: (url, extra) =>
      new OpenAiTts({ apiKey: 'sk-test', baseUrl: `${url}/v1`, voice: 'marin', ...extra }),
    callFormat: PCM16_16K,
    audio: pcm24k,
    contentType: 'audio/pcm',
    error401: fixture('openai/error-401.json'),
    error429: fixture('openai/error-429.json'),
    checkRequest: (req) => {
      assert.equal(req.url, '/v1/audio/speech');
      assert.equal(req.headers.authorization, 'Bearer sk-test');
      const body = JSON.parse(String(req.body));
      assert.deepEqual(body, {
        model: 'gpt-4o-mini-tts',
        voice: 'marin',
        input: 'Your appointment is booked.',
        response_format: 'pcm',
      });
    },
  });
});

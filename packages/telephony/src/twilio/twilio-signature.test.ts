import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { twilioSignature, urlVariants, validateTwilioSignature } from './twilio-signature.js';

// Test vectors from protocols.md §1.5; the first matches Twilio's documented example.
const TOKEN = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+12349013030',
  Digits: '1234',
  From: '+12349013030',
  To: '+18005551212',
};

test('signature matches the documented vector', () => {
  assert.equal(twilioSignature(TOKEN, URL_, PARAMS), '0/KCTR6DLpKmkAf8muzZqo1nDgQ=');
  assert.ok(validateTwilioSignature(TOKEN, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', URL_, PARAMS));
});

test('a changed parameter, URL or token fails', () => {
  const sig = '0/KCTR6DLpKmkAf8muzZqo1nDgQ=';
  assert.equal(validateTwilioSignature(TOKEN, sig, URL_, { ...PARAMS, Digits: '1235' }), false);
  assert.equal(validateTwilioSignature(TOKEN, sig, `${URL_}&x=1`, PARAMS), false);
  assert.equal(validateTwilioSignature('54321', sig, URL_, PARAMS), false);
  assert.equal(validateTwilioSignature(TOKEN, undefined, URL_, PARAMS), false);
  assert.equal(validateTwilioSignature(TOKEN, 'short', URL_, PARAMS), false);
});

test('the URL with an explicit default port validates too', () => {
  assert.deepEqual(urlVariants('https://a.example/x?y=1'), [
    'https://a.example/x?y=1',
    'https://a.example:443/x?y=1',
  ]);
  const withPort = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
  const sig = twilioSignature(TOKEN, withPort, PARAMS);
  assert.ok(validateTwilioSignature(TOKEN, sig, URL_, PARAMS));
  assert.ok(validateTwilioSignature(TOKEN, '0/KCTR6DLpKmkAf8muzZqo1nDgQ=', withPort, PARAMS));
});

test('repeated names contribute each distinct value, sorted', () => {
  const a = twilioSignature(TOKEN, URL_, { E: ['b', 'a', 'b'] });
  assert.equal(a, twilioSignature(TOKEN, URL_, { E: ['a', 'b'] }));
});

test('JSON bodies: bodySHA256 in the URL, signature over the URL alone', () => {
  const body = '{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}';
  const hash = createHash('sha256').update(body).digest('hex');
  assert.equal(hash, '5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9');
  const url = `https://mycompany.com/myapp.php?bodySHA256=${hash}`;
  const sig = twilioSignature(TOKEN, url, {});
  assert.ok(validateTwilioSignature(TOKEN, sig, url, {}, body));
  assert.equal(validateTwilioSignature(TOKEN, sig, url, {}, `${body} `), false);
});

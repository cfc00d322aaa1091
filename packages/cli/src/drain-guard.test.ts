import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { refuseNewCallsWhileDraining } from './drain-guard.js';

test('while draining, call-intake routes answer 503 with Retry-After; status callbacks and other Telnyx events go on', async () => {
  let draining = false;
  const guard = refuseNewCallsWhileDraining(() => draining);
  const app = Fastify();
  await app.register(
    guard(async (scope) => {
      for (const url of ['/twilio/voice', '/plivo/answer', '/call', '/twilio/status']) {
        scope.post(url, async () => ({ ok: url }));
      }
      // Telnyx parses its raw body in its own scope, as the plugin does.
      await scope.register(async (inner) => {
        inner.removeContentTypeParser('application/json');
        inner.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
          done(null, body),
        );
        inner.post('/telnyx/webhook', async () => ({ ok: 'telnyx' }));
      });
    }),
  );
  const post = (url: string, payload: Record<string, unknown> = {}) =>
    app.inject({ method: 'POST', url, payload });
  const telnyx = (eventType: string) => post('/telnyx/webhook', { data: { event_type: eventType } });

  assert.equal((await post('/twilio/voice')).statusCode, 200);
  assert.equal((await telnyx('call.initiated')).statusCode, 200);
  draining = true;
  for (const url of ['/twilio/voice', '/plivo/answer', '/call']) {
    const res = await post(url);
    assert.equal(res.statusCode, 503, url);
    assert.equal(res.headers['retry-after'], '5');
  }
  assert.equal((await telnyx('call.initiated')).statusCode, 503, 'a new Telnyx call is refused');
  assert.equal((await telnyx('call.hangup')).statusCode, 200, "a live call's events still arrive");
  assert.equal((await post('/twilio/status')).statusCode, 200, 'status callbacks still arrive');
  await app.close();
});

test('when the process is full, the browser socket and the AVR hook answer 503 (counted); carrier webhooks are left to answer busy themselves', async () => {
  let full = false;
  const refused: string[] = [];
  const guard = refuseNewCallsWhileDraining(() => false, {
    full: () => full,
    onRefused: (reason) => refused.push(reason),
  });
  const app = Fastify();
  await app.register(
    guard(async (scope) => {
      for (const url of ['/twilio/voice', '/plivo/answer', '/call', '/talk/ws', '/twilio/media']) {
        scope.post(url, async () => ({ ok: url }));
      }
    }),
  );
  const post = (url: string) => app.inject({ method: 'POST', url, payload: {} });
  assert.equal((await post('/talk/ws')).statusCode, 200);
  full = true;
  for (const url of ['/talk/ws', '/call']) {
    const res = await post(url);
    assert.equal(res.statusCode, 503, url);
    assert.equal(res.headers['retry-after'], '5');
    assert.match(res.json().error.message, /capacity/);
  }
  for (const url of ['/twilio/voice', '/plivo/answer', '/twilio/media']) {
    assert.equal((await post(url)).statusCode, 200, `${url} is not refused by the guard`);
  }
  assert.deepEqual(refused, ['capacity', 'capacity']);
  await app.close();
});

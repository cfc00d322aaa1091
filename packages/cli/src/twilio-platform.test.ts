import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const ACCOUNT = 'AC22222222222222222222222222222222';
const TOKEN = 'twilio-auth-token-for-tests-0001';

// The whole platform behind Twilio Media Streams: a number routes to the demo agent, which greets
// the caller over the stream in μ-law.
describe('a Twilio call through the platform', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform({}, { logLevel: 'warn' });
    const { store } = t.platform;
    const { workspaceId, demoAgentId } = t;
    await store.credentials.create(workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await store.phoneNumbers.create(workspaceId, {
      number: '+15559870002',
      connector: 'twilio',
      agentId: demoAgentId,
    });
  });
  after(() => t?.close());

  test('signed webhook → TwiML stream → the agent greets in μ-law; unknown numbers are refused', async () => {
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const refused = await twilio.voice({ To: '+15559870099' });
    assert.match(refused.body, /<Reject/);
    const forged = await twilio.voice({}, { signature: 'bm90IGEgc2lnbmF0dXJl' });
    assert.equal(forged.status, 403);

    const answer = await twilio.voice();
    assert.equal(answer.status, 200, answer.body);
    assert.ok(answer.streamUrl, answer.body);
    const stream = await twilio.stream(answer, 'CA33333333333333333333333333333333');
    stream.begin();
    await feedSilenceUntil(stream, 50, 10_000);
    assert.ok(stream.mediaReceived().length >= 50, 'the greeting streams back as media messages');
    assert.ok(
      stream.mediaReceived().every((m) => m.length === 160),
      '20 ms μ-law frames',
    );
    stream.sendStop();
    const ended = await waitFor('call.ended', () => t.events.find((e) => e.type === 'call.ended'), 5_000);
    assert.ok(ended && ended.type === 'call.ended');
    assert.equal(ended.data.endedReason, 'caller-hangup');
    const started = t.events.find((e) => e.type === 'call.started');
    assert.ok(started && started.type === 'call.started' && started.data.connector === 'twilio');

    // The call shows in the platform's metrics, counted from the same events.
    const scrape = await t.platform.app.inject({
      url: '/metrics',
      headers: { 'x-internal-token': 'platform-internal-token-0123456789' },
    });
    assert.equal(scrape.statusCode, 200);
    const m = scrape.body;
    assert.match(
      m,
      /switchboard_calls_total\{connector="twilio",direction="inbound",outcome="completed",reason="caller-hangup"\} 1\n/,
    );
    assert.match(m, /switchboard_calls_active\{connector="twilio",direction="inbound"\} 0\n/);
    assert.match(m, /switchboard_call_duration_seconds_count\{connector="twilio"\} 1\n/);
    assert.match(m, /switchboard_deliveries\{status="pending"\} 0\n/);
    assert.match(m, /switchboard_analyses_pending 0\n/);
  });
});

// Every plugin the composition root mounts (carriers, Asterisk, the browser) is described by the
// one OpenAPI document; a route whose schema the generator cannot read would break it for all.
describe('the whole platform API description', () => {
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform({});
  });
  after(() => t?.close());

  test('/openapi.json builds with every mounted route; the AVR hook still refuses bad bodies by name', async () => {
    const res = await t.platform.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200, res.body.slice(0, 300));
    const paths = Object.keys(res.json().paths as Record<string, unknown>);
    for (const p of ['/call', '/v1/calls', '/v1/calls/{id}/analysis']) assert.ok(paths.includes(p), p);
    const bad = await t.platform.app.inject({ method: 'POST', url: '/call', payload: { uuid: 'nope' } });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.match(bad.json().error.message, /body\.uuid/);
  });
});

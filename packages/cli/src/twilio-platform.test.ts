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
  });
});

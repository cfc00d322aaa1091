import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CallEvent, createLogger, loadConfig } from '@switchboard/core';
import { ScriptedTwilio } from '@switchboard/telephony';
import { type Running, start } from './start.js';

const ACCOUNT = 'AC22222222222222222222222222222222';
const TOKEN = 'twilio-auth-token-for-tests-0001';

// The whole platform behind Twilio Media Streams: a number routes to the demo agent, which greets
// the caller over the stream in μ-law.
describe('a Twilio call through the platform', () => {
  let platform: Running;
  const events: CallEvent[] = [];
  before(async () => {
    platform = await start(
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: join(mkdtempSync(join(tmpdir(), 'sb-twilio-')), 'data'),
        PORT: '0',
        PUBLIC_URL: 'https://voice.example.com',
        SIP_ENABLED: 'false',
        INTERNAL_TOKEN: 'platform-internal-token-0123456789',
      }),
      createLogger({ level: 'warn' }),
      { banner: false },
    );
    platform.calls.bus.subscribe((e) => {
      events.push(e);
    });
    const ws = (await platform.store.accounts.firstWorkspace())!;
    const demo = (await platform.store.agents.list(ws.id, { name: 'Demo receptionist' })).data[0]!;
    await platform.store.credentials.create(ws.id, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await platform.store.phoneNumbers.create(ws.id, {
      number: '+15559870002',
      connector: 'twilio',
      agentId: demo.id,
    });
  });
  after(() => platform?.stop());

  test('signed webhook → TwiML stream → the agent greets in μ-law; unknown numbers are refused', async () => {
    const addr = platform.app.server.address() as { port: number };
    const twilio = new ScriptedTwilio({
      appUrl: `http://127.0.0.1:${addr.port}`,
      publicUrl: 'https://voice.example.com',
      accountSid: ACCOUNT,
      authToken: TOKEN,
    });
    const refused = await twilio.voice({ To: '+15559870099' });
    assert.match(refused.body, /<Reject/);
    const forged = await twilio.voice({}, { signature: 'bm90IGEgc2lnbmF0dXJl' });
    assert.equal(forged.status, 403);

    const answer = await twilio.voice();
    assert.equal(answer.status, 200, answer.body);
    assert.ok(answer.streamUrl, answer.body);
    const stream = await twilio.stream(answer, 'CA33333333333333333333333333333333');
    stream.begin();
    const silence = new Uint8Array(160).fill(0xff);
    const feeder = setInterval(() => stream.sendMedia(silence), 20);
    try {
      for (let i = 0; i < 200 && stream.mediaReceived().length < 50; i++)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(stream.mediaReceived().length >= 50, 'the greeting streams back as media messages');
      assert.ok(
        stream.mediaReceived().every((m) => m.length === 160),
        '20 ms μ-law frames',
      );
    } finally {
      clearInterval(feeder);
    }
    stream.sendStop();
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'call.ended'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const ended = events.find((e) => e.type === 'call.ended');
    assert.ok(ended && ended.type === 'call.ended');
    assert.equal(ended.data.endedReason, 'caller-hangup');
    const started = events.find((e) => e.type === 'call.started');
    assert.ok(started && started.type === 'call.started' && started.data.connector === 'twilio');
  });
});

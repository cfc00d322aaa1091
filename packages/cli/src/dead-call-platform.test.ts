import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const SILENCE = new Uint8Array(160).fill(0xff);

const ACCOUNT = 'AC44444444444444444444444444444444';
const TOKEN = 'twilio-auth-token-for-tests-0002';

/** A port on 127.0.0.1 that nothing listens on: a provider host that is down. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

// An agent whose recogniser cannot start still answers: the caller hears, in the built-in voice,
// that the line cannot take calls; the call row and readiness name the provider and the cause.
describe('a call whose provider cannot start is never dead air', () => {
  let t: TestPlatform;
  let providerId: string;
  before(async () => {
    t = await startTestPlatform({}, { logLevel: 'warn' });
    const { store } = t.platform;
    const { workspaceId } = t;
    const provider = await store.providers.create(workspaceId, {
      name: 'recogniser that is down',
      kind: 'asr',
      type: 'wyoming',
      settings: { host: '127.0.0.1', port: await closedPort() },
    });
    providerId = provider.id;
    const agent = await store.agents.create(workspaceId, {
      name: 'Deaf agent',
      config: {
        greeting: 'Hello.',
        providers: { asr: [provider.id], llm: ['local:answerer'], tts: ['local:espeak'] },
      },
    });
    await store.agents.publish(workspaceId, agent.id);
    // The same recogniser, on an agent with FAQ entries: its keypad menu still answers them.
    const withFaq = await store.agents.create(workspaceId, {
      name: 'Deaf agent with a menu',
      config: {
        greeting: 'Hello.',
        providers: { asr: [provider.id], llm: ['local:answerer'], tts: ['local:espeak'] },
        knowledge: {
          faq: [
            { question: 'What are your opening hours?', answer: 'We open at nine.', keywords: [] },
            { question: 'Where are you?', answer: 'We are on Main Street.', keywords: [] },
          ],
        },
      },
    });
    await store.agents.publish(workspaceId, withFaq.id);
    await store.phoneNumbers.create(workspaceId, {
      number: '+14155550104',
      connector: 'twilio',
      agentId: withFaq.id,
    });
    await store.credentials.create(workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    await store.phoneNumbers.create(workspaceId, {
      number: '+15559870003',
      connector: 'twilio',
      agentId: agent.id,
    });
  });
  after(() => t?.close());

  test('the caller hears the line is unavailable; the row and /health/ready say which provider failed', async () => {
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice({ To: '+15559870003', CallSid: 'CA55555555555555555555555555555555' });
    assert.equal(answer.status, 200, answer.body);
    const stream = await twilio.stream(answer, 'CA55555555555555555555555555555555');
    stream.begin();
    await feedSilenceUntil(stream, 50, 15_000);
    const ended = await waitFor('call.ended', () => t.events.find((e) => e.type === 'call.ended'), 15_000);
    assert.ok(ended.type === 'call.ended');
    assert.equal(ended.data.outcome, 'failed');
    assert.equal(ended.data.endedReason, 'provider-error');
    const row = await t.endedCall(ended.callId);
    assert.match(row.error ?? '', new RegExp(`^call could not start: asr provider ${providerId}: `));
    const ready = await t.platform.app.inject({ url: '/health/ready' });
    const providers = (ready.json().checks as { name: string; state: string; detail?: string }[]).find(
      (s) => s.name === 'providers',
    );
    assert.equal(providers?.state, 'degraded');
    assert.match(providers?.detail ?? '', new RegExp(`asr provider ${providerId}`));
  });

  test('with FAQ entries, the keypad menu still reads the answer of the key pressed', async () => {
    const callSid = 'CA66666666666666666666666666666666';
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice({ To: '+14155550104', CallSid: callSid });
    assert.equal(answer.status, 200, answer.body);
    const stream = await twilio.stream(answer, callSid);
    stream.begin();
    // Once the line is playing, the caller presses 2 (a key pressed during the menu's prompt
    // is kept for it).
    await feedSilenceUntil(stream, 50, 15_000);
    stream.sendDtmf('2');
    const feeder = setInterval(() => stream.sendMedia(SILENCE), 20);
    try {
      const answered = await waitFor(
        'the answer of entry 2, spoken',
        () =>
          t.events.find(
            (e) =>
              e.type === 'transcript.final' &&
              e.data.role === 'agent' &&
              e.data.text === 'We are on Main Street.',
          ),
        60_000,
      );
      assert.equal(
        t.events.find((e) => e.type === 'call.ended' && e.callId === answered.callId),
        undefined,
      );
      const spoken = t.events
        .filter((e) => e.type === 'transcript.final' && e.callId === answered.callId)
        .map((e) => (e.type === 'transcript.final' ? e.data.text : ''));
      assert.match(
        spoken.join(' '),
        /For What are your opening hours, press 1\. For Where are you, press 2\./,
      );
      assert.ok(!spoken.includes('We open at nine.'), 'only the chosen answer is read');
      stream.sendStop();
      const ended = await waitFor(
        'call.ended',
        () => t.events.find((e) => e.type === 'call.ended' && e.callId === answered.callId),
        15_000,
      );
      assert.ok(ended.type === 'call.ended');
      const row = await t.endedCall(ended.callId);
      assert.match(row.error ?? '', new RegExp(`^call could not start: asr provider ${providerId}: `));
    } finally {
      clearInterval(feeder);
    }
  });
});

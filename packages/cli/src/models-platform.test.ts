import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MODEL_IDS, ModelLocator, type ModelSpec, modelSpec, prepareModels } from '@switchboard/providers';
import { feedSilenceUntil, startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const ACCOUNT = 'AC77777777777777777777777777777777';
const TOKEN = 'twilio-auth-token-for-tests-0077';
const MISSING =
  /missing models: asr\/soundswallower-en-us \(needed by Demo receptionist, new agents \(default providers\)\)/;

// An installation whose image lacks the recogniser's model (its npm copy pruned, nothing imported):
// readiness names the model, and a call to the agent that needs it hears the unavailable line in
// the voice from the models directory and ends, instead of failing without a word.
describe('a model that is missing', () => {
  let t: TestPlatform;
  let modelsDir: string;
  const logs: string[] = [];
  before(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'sb-models-platform-'));
    await prepareModels(modelsDir, [
      modelSpec(MODEL_IDS.espeak) as ModelSpec,
      modelSpec(MODEL_IDS.silero) as ModelSpec,
    ]);
    t = await startTestPlatform(
      {},
      { logLevel: 'warn', logs, models: new ModelLocator(modelsDir, { packaged: false }) },
    );
    const { store } = t.platform;
    await store.credentials.create(t.workspaceId, { name: `twilio:${ACCOUNT}`, value: TOKEN });
    // The default providers and no FAQ (the demo's FAQ would add a keypad menu after the line).
    const agent = await store.agents.create(t.workspaceId, {
      name: 'Front desk',
      config: { greeting: 'Hello.' },
    });
    await store.agents.publish(t.workspaceId, agent.id);
    await store.phoneNumbers.create(t.workspaceId, {
      number: '+15559870077',
      connector: 'twilio',
      agentId: agent.id,
    });
  });
  after(async () => {
    await t?.close();
    rmSync(modelsDir, { recursive: true, force: true });
  });

  test('readiness and the start-up log name the missing model and the agents that need it', async () => {
    const ready = await t.platform.app.inject({ url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
    const local = (ready.json().checks as { name: string; state: string; detail?: string }[]).find(
      (s) => s.name === 'local voice stack',
    );
    assert.equal(local?.state, 'degraded');
    assert.match(local?.detail ?? '', /^speech recognition: none; /);
    assert.match(local?.detail ?? '', MISSING);
    const warned = logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => MISSING.test(l.msg));
    assert.ok(warned, 'a warning at start-up');
  });

  test('a call to the agent hears the unavailable line and ends, with the model named', async () => {
    const callSid = 'CA77777777777777777777777777777777';
    const twilio = t.scriptedTwilio(ACCOUNT, TOKEN);
    const answer = await twilio.voice({ To: '+15559870077', CallSid: callSid });
    assert.equal(answer.status, 200, answer.body);
    const stream = await twilio.stream(answer, callSid);
    stream.begin();
    await feedSilenceUntil(stream, 50, 15_000);
    const ended = await waitFor('call.ended', () => t.events.find((e) => e.type === 'call.ended'), 15_000);
    assert.ok(ended.type === 'call.ended');
    assert.equal(ended.data.outcome, 'failed');
    assert.equal(ended.data.endedReason, 'provider-error');
    const spoken = t.events.filter(
      (e) => e.callId === ended.callId && e.type === 'transcript.final' && e.data.role === 'agent',
    );
    assert.deepEqual(
      spoken.map((e) => (e.type === 'transcript.final' ? e.data.text : '')),
      ['Sorry, this line cannot take calls right now. Please try again later.'],
    );
    const row = await t.endedCall(ended.callId);
    assert.match(row.error ?? '', /^call could not start: .*model asr\/soundswallower-en-us is missing/);
    const ready = await t.platform.app.inject({ url: '/health/ready' });
    const providers = (ready.json().checks as { name: string; state: string; detail?: string }[]).find(
      (s) => s.name === 'providers',
    );
    assert.equal(providers?.state, 'degraded');
    assert.match(providers?.detail ?? '', /model asr\/soundswallower-en-us is missing/);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionHarness } from '../fakes/session-harness.js';

test('greeting is rendered with per-call variables and played in full', async () => {
  const h = new SessionHarness({
    config: {
      greeting: 'Hello {{name}}, this is {{company}}.',
      variables: { name: 'caller', company: 'Acme' },
    },
    session: { variables: { name: 'Ann' } },
  });
  await h.start();
  await h.advance(2000);
  assert.deepEqual(h.tts.requests, ['Hello Ann, this is Acme.']);
  assert.equal(h.leg.playedMs, 5 * 300);
  const agent = h.of('transcript.final').map((e) => e.data);
  assert.equal(agent[0]?.role, 'agent');
  assert.equal(agent[0]?.text, 'Hello Ann, this is Acme.');
  const r = await h.hangup();
  assert.equal(r.endedReason, 'caller-hangup');
  assert.deepEqual(
    h.events.map((e) => e.type),
    ['call.started', 'call.answered', 'turn.latency', 'transcript.final', 'call.ended'],
  );
  assert.deepEqual(r.providers, { asr: 'local:asr', llm: 'local:llm', tts: 'local:tts' });
  assert.equal(h.session.timers.active, 0);
  assert.equal(h.clock.pending, 0);
  assert.equal(h.leg.activeListeners, 0);
});

const fast = { endOfTurnSilenceMs: 300, minInterruptionMs: 200, falseInterruptionResumeMs: 500 };

/** Asserts a finished session released everything it started. */
function assertNoLeaks(h: SessionHarness): void {
  assert.equal(h.session.timers.active, 0, 'session timers');
  assert.equal(h.clock.pending, 0, 'clock timers');
  assert.equal(h.leg.activeListeners, 0, 'leg listeners');
}

test('cascaded: first audio plays before the model has finished writing', async () => {
  const reply = 'Sure. We are open from nine in the morning to five in the evening.';
  const h = new SessionHarness({
    config: { turnTaking: fast },
    asr: { utterances: ['When are you open?'] },
    llm: { replies: [reply], tokenDelayMs: 100 },
  });
  await h.start();
  await h.speak(400);
  await h.silence(20);
  assert.ok(await h.until(() => h.leg.playedMs > 0, 2000));
  assert.equal(h.llm.completed, 0, 'model still writing when the first audio went out');
  await h.advance(6000);
  assert.equal(h.llm.completed, 1);
  const words = reply.split(' ').length;
  assert.equal(h.leg.playedMs, words * 300);
  const finals = h.of('transcript.final').map((e) => [e.data.role, e.data.text]);
  assert.deepEqual(finals, [
    ['caller', 'When are you open?'],
    ['agent', reply],
  ]);
  assert.equal(h.llm.requests[0]?.at(-1)?.content, 'When are you open?');
  const r = await h.hangup();
  const t = r.latencies[0];
  assert.ok(t?.callerStoppedMs !== undefined && t.firstAudioSentMs !== undefined);
  assert.ok(t.asrFinalMs !== undefined && t.llmFirstTokenMs !== undefined && t.ttsFirstAudioMs !== undefined);
  // End-of-turn silence, then zero-latency fakes: audio out right after the decision.
  assert.ok(t.firstAudioSentMs - t.callerStoppedMs >= 300 && t.firstAudioSentMs - t.callerStoppedMs <= 330);
  assertNoLeaks(h);
});

test('barge-in aborts the model and synthesis, clears the carrier, keeps only what was heard', async () => {
  const reply =
    'One two three four five. Six seven eight nine ten. Eleven twelve thirteen fourteen fifteen. Sixteen seventeen eighteen nineteen twenty.';
  const h = new SessionHarness({
    config: { turnTaking: fast },
    asr: { utterances: ['Tell me numbers', 'wait stop please'], partialAfterMs: 60 },
    llm: { replies: [reply, 'Okay, stopping.'], tokenDelayMs: 100 },
    tts: { frameDelayMs: 10 },
  });
  await h.start();
  await h.speak(300);
  await h.silence(20);
  assert.ok(await h.until(() => h.leg.playedMs > 0));
  await h.advance(1000);
  const before = h.leg.playedMs;
  await h.speak(300);
  assert.equal(h.leg.clears, 1);
  const [interrupted] = h.of('agent.interrupted');
  assert.ok(interrupted);
  const { heardText, droppedText } = interrupted.data;
  assert.ok(heardText.length > 0 && reply.startsWith(heardText), heardText);
  assert.equal(
    `${heardText} ${droppedText}`.trim(),
    reply.slice(0, `${heardText} ${droppedText}`.trim().length),
  );
  assert.ok(droppedText.length > 0);
  assert.equal(h.llm.aborted, 1, 'model request cancelled');
  const played = h.leg.playedMs;
  assert.ok(played - before <= 300, 'nothing more played after the clear');
  // The caller's new turn is answered; the model remembers only what was heard.
  await h.silence(400);
  await h.advance(2000);
  const history = h.llm.requests[1] ?? [];
  assert.equal(history.find((m) => m.role === 'assistant' && m.content !== '')?.content, heardText);
  assert.equal(history.at(-1)?.content, 'wait stop please');
  const agentLines = h.of('transcript.final').filter((e) => e.data.role === 'agent');
  assert.equal(agentLines[0]?.data.text, heardText);
  assert.equal(agentLines[0]?.data.interrupted, true);
  assert.equal(agentLines[1]?.data.text, 'Okay, stopping.');
  await h.hangup();
  assertNoLeaks(h);
});

test('a backchannel word does not interrupt the agent', async () => {
  const reply = 'One two three four five six seven eight nine ten.';
  const h = new SessionHarness({
    config: { turnTaking: fast },
    asr: { utterances: ['Count please', 'yeah'], partialAfterMs: 60 },
    llm: { replies: [reply, 'Should not be asked.'] },
  });
  await h.start();
  await h.speak(300);
  await h.silence(20);
  assert.ok(await h.until(() => h.leg.playedMs > 0));
  await h.advance(500);
  await h.speak(300);
  await h.silence(400);
  await h.advance(4000);
  assert.equal(h.leg.clears, 0);
  assert.equal(h.of('agent.interrupted').length, 0);
  assert.equal(h.leg.playedMs, 10 * 300);
  assert.equal(h.llm.requests.length, 1, 'no reply to an acknowledgement');
  await h.hangup();
  assertNoLeaks(h);
});

test('a false interruption (noise without words) pauses, then resumes where it stopped', async () => {
  const reply = 'One two three four five six seven eight nine ten.';
  const h = new SessionHarness({
    config: { turnTaking: fast },
    asr: { utterances: ['Count please', ''] },
    llm: { replies: [reply] },
  });
  await h.start();
  await h.speak(300);
  await h.silence(20);
  assert.ok(await h.until(() => h.leg.playedMs > 0));
  await h.advance(500);
  await h.speak(300); // a cough: audible, no words
  const paused = h.leg.playedMs;
  await h.silence(300);
  assert.ok(h.leg.playedMs - paused <= 20, 'paused while the caller made noise');
  await h.advance(4000);
  assert.equal(h.leg.playedMs, 10 * 300, 'every word played once resumed');
  assert.equal(h.leg.clears, 0);
  assert.equal(h.of('agent.interrupted').length, 0);
  const agent = h.of('transcript.final').find((e) => e.data.role === 'agent');
  assert.equal(agent?.data.text, reply);
  assert.equal(agent?.data.interrupted, undefined);
  await h.hangup();
  assertNoLeaks(h);
});

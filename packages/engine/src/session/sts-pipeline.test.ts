import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MULAW_8K } from '@switchboard/media';
import { SessionHarness } from '../fakes/session-harness.js';

function assertNoLeaks(h: SessionHarness): void {
  assert.equal(h.session.timers.active, 0, 'session timers');
  assert.equal(h.clock.pending, 0, 'clock timers');
  assert.equal(h.leg.activeListeners, 0, 'leg listeners');
}

test('sts: caller audio relayed untouched, provider audio played, both sides transcribed', async () => {
  const h = new SessionHarness({
    config: { mode: 'sts', greeting: 'Welcome.' },
    leg: { inputFormat: MULAW_8K, outputFormat: MULAW_8K },
    sts: { callerTranscripts: ['What time is it'], replies: ['It is noon.'] },
  });
  await h.start();
  await h.advance(500);
  const session = h.sts.session!;
  assert.deepEqual(session.said, ['Welcome.']);
  assert.equal(session.options.inputFormat, MULAW_8K, 'the provider accepts the call format: no conversion');
  await h.speak(400);
  await h.silence(100);
  await h.advance(1500);
  assert.ok(session.receivedMs >= 500);
  assert.equal(h.leg.playedMs, 300 + 3 * 300);
  assert.ok(h.leg.played.every((f) => f.format === MULAW_8K));
  const finals = h.of('transcript.final').map((e) => [e.data.role, e.data.text]);
  assert.deepEqual(finals, [
    ['agent', 'Welcome.'],
    ['caller', 'What time is it'],
    ['agent', 'It is noon.'],
  ]);
  const r = await h.hangup();
  assert.deepEqual(r.providers, { sts: 'local:sts' });
  assert.equal(session.closed, true);
  assertNoLeaks(h);
});

test('sts barge-in: carrier cleared, provider told what was heard, transcript truncated', async () => {
  const reply = 'One two three four five six seven eight nine ten.';
  const h = new SessionHarness({
    config: { mode: 'sts' },
    sts: { callerTranscripts: ['Count', 'stop'], replies: [reply, 'Okay.'] },
  });
  await h.start();
  await h.speak(200);
  await h.silence(100);
  await h.advance(900);
  await h.speak(100);
  assert.equal(h.leg.clears, 1);
  const [i] = h.of('agent.interrupted');
  assert.ok(i && i.data.heardText.length > 0 && reply.startsWith(i.data.heardText));
  assert.equal(h.sts.session?.interrupts.length, 1);
  assert.ok((h.sts.session?.interrupts[0] ?? 0) > 0);
  await h.silence(100);
  await h.advance(1000);
  const agent = h.of('transcript.final').filter((e) => e.data.role === 'agent');
  assert.equal(agent[0]?.data.interrupted, true);
  assert.equal(agent[0]?.data.text, i.data.heardText);
  assert.equal(agent[1]?.data.text, 'Okay.');
  await h.hangup();
  assertNoLeaks(h);
});

test('sts tool call: result sent back to the provider', async () => {
  const h = new SessionHarness({
    config: { mode: 'sts', tools: [{ type: 'send_dtmf' }] },
    sts: { replies: [{ toolCall: { name: 'send_dtmf', args: { digits: '42' } }, thenSay: 'Done.' }] },
  });
  await h.start();
  await h.speak(200);
  await h.silence(100);
  await h.advance(800);
  assert.deepEqual(h.leg.dtmfSent, ['42']);
  assert.deepEqual(h.sts.session?.toolResults, [{ callId: 'sts_call_0', output: '{"sent":"42"}' }]);
  assert.equal(h.leg.playedMs, 300);
  await h.hangup();
  assertNoLeaks(h);
});

test('sts keypad: an entry reaches the provider as caller text, interrupting the agent', async () => {
  const h = new SessionHarness({
    config: { mode: 'sts', greeting: 'Press one for sales, two for support, then hash.' },
    sts: { replies: ['Connecting you to support.'], msPerWord: 400 },
  });
  await h.start();
  await h.advance(200);
  assert.ok(h.leg.playedMs > 0, 'the greeting is playing');
  h.leg.pressDigit('2');
  h.leg.pressDigit('#');
  await h.advance(10);
  assert.deepEqual(h.sts.session?.texts, ['Caller pressed keypad keys: 2#']);
  assert.equal(h.of('agent.interrupted').length, 1, 'the key took the turn from the greeting');
  await h.advance(3000);
  const t = h.of('transcript.final').map((e) => `${e.data.role}: ${e.data.text}`);
  assert.ok(t.includes('caller: Caller pressed keypad keys: 2#'), t.join(' | '));
  assert.ok(t.includes('agent: Connecting you to support.'), t.join(' | '));
  assert.deepEqual(
    h.of('dtmf.received').map((e) => e.data.digit),
    ['2', '#'],
  );
  await h.hangup();
  assertNoLeaks(h);
});

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAppError } from '@switchboard/core';
import { readWav } from '@switchboard/media';
import { SessionHarness } from '../fakes/session-harness.js';

const fast = { endOfTurnSilenceMs: 300, minInterruptionMs: 200, falseInterruptionResumeMs: 500 };

function assertNoLeaks(h: SessionHarness): void {
  assert.equal(h.session.timers.active, 0, 'session timers');
  assert.equal(h.clock.pending, 0, 'clock timers');
  assert.equal(h.leg.activeListeners, 0, 'leg listeners');
}

const agentLines = (h: SessionHarness) =>
  h.of('transcript.final').flatMap((e) => (e.data.role === 'agent' ? [e.data.text] : []));

test('keypad digits pressed just before the caller hangs up reach the transcript', async () => {
  const h = new SessionHarness({ config: { keypad: { interDigitTimeoutMs: 2000, terminator: 'none' } } });
  await h.start();
  h.leg.pressDigit('4');
  h.leg.pressDigit('2');
  await h.advance(100);
  // The inter-digit timer has not fired: the entry is still being collected when the call ends.
  const r = await h.hangup();
  assert.equal(h.of('dtmf.received').length, 2);
  assert.ok(
    r.transcript.some((e) => e.role === 'caller' && e.text === 'Caller pressed keypad keys: 42'),
    JSON.stringify(r.transcript),
  );
  const ended = h.of('call.ended')[0];
  assert.ok(ended?.data.transcript.some((e) => e.text.endsWith('42')));
  assertNoLeaks(h);
});

test('say, queued: the line follows what the agent is saying and the model remembers it', async () => {
  const h = new SessionHarness({
    config: { greeting: 'Hello, this is the clinic.', turnTaking: fast },
    llm: { replies: ['Sure.'] },
    asr: { utterances: ['thanks'] },
  });
  await h.start();
  await h.advance(100);
  h.session.controls?.say('Your appointment is confirmed.', false);
  assert.ok(await h.until(() => agentLines(h).length === 2, 15_000, 20));
  assert.deepEqual(agentLines(h), ['Hello, this is the clinic.', 'Your appointment is confirmed.']);
  assert.equal(h.of('agent.interrupted').length, 0);
  await h.speak(300);
  await h.silence(400);
  assert.ok(await h.until(() => h.llm.requests.length === 1, 5000, 20));
  assert.ok(
    h.llm.requests[0]?.some((m) => m.role === 'assistant' && m.content === 'Your appointment is confirmed.'),
  );
  await h.hangup();
  assertNoLeaks(h);
});

test('say, interrupting: the greeting stops where it was heard and the line is spoken next', async () => {
  const h = new SessionHarness({
    config: {
      greeting: 'Hello, this is the clinic, and I can help you with bookings, hours and directions today.',
      turnTaking: fast,
    },
  });
  await h.start();
  await h.advance(300);
  h.session.controls?.say('Sorry, we are closing now.', true);
  assert.ok(await h.until(() => agentLines(h).length === 2, 15_000, 20));
  const [greeting, line] = agentLines(h);
  assert.equal(line, 'Sorry, we are closing now.');
  assert.equal(h.of('agent.interrupted').length, 1);
  const first = h.of('transcript.final').find((e) => e.data.role === 'agent');
  assert.equal(first?.data.interrupted, true, `greeting kept as heard: ${greeting}`);
  await h.hangup();
  assertNoLeaks(h);
});

test('inject: the next model turn reads the system message; the event names it', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast },
    llm: { replies: ['One moment.'] },
    asr: { utterances: ['am I a customer'] },
  });
  await h.start();
  h.session.controls?.inject('The caller is a premium customer.');
  assert.equal(h.llm.requests.length, 0, 'no turn is started by the message itself');
  assert.equal(h.of('context.injected')[0]?.data.message, 'The caller is a premium customer.');
  await h.speak(300);
  await h.silence(400);
  assert.ok(await h.until(() => h.llm.requests.length === 1, 5000, 20));
  const sent = h.llm.requests[0] ?? [];
  const at = sent.findIndex((m) => m.role === 'system' && m.content === 'The caller is a premium customer.');
  assert.ok(at > 0, 'after the system prompt');
  assert.equal(sent.at(-1)?.role, 'user', 'before the caller message it answers');
  await h.hangup();
  assertNoLeaks(h);
});

test('turn.latency is reported live once the turn is heard', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast },
    llm: { replies: ['Yes.'] },
    asr: { utterances: ['is it open'] },
  });
  await h.start();
  await h.speak(300);
  await h.silence(400);
  assert.ok(await h.until(() => h.of('turn.latency').length === 1, 5000, 20));
  const t = h.of('turn.latency')[0]?.data;
  assert.equal(t?.turn, 1);
  assert.ok(t?.firstAudioSentMs !== undefined && t.callerStoppedMs !== undefined);
  assert.ok(t.firstAudioSentMs >= t.callerStoppedMs);
  await h.hangup();
  assertNoLeaks(h);
});

test('recording pause: the paused span is silence in both channels and is reported', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-rec-'));
  try {
    const h = new SessionHarness({ config: { turnTaking: fast }, session: { recordingDir: dir } });
    await h.start();
    await h.speak(1000);
    assert.equal(h.session.controls?.pauseRecording('api'), 'paused');
    assert.equal(h.session.controls?.pauseRecording('api'), 'paused', 'pausing twice changes nothing');
    await h.speak(1000);
    assert.equal(h.session.controls?.resumeRecording('tool'), 'recording');
    await h.speak(1000);
    const r = await h.hangup();
    assert.deepEqual(
      h.events.filter((e) => e.type.startsWith('recording.')).map((e) => e.type),
      ['recording.paused', 'recording.resumed'],
    );
    const resumed = h.of('recording.resumed')[0]?.data;
    assert.equal(resumed?.by, 'tool');
    assert.ok(resumed && resumed.pausedMs >= 900, `paused for ${resumed?.pausedMs} ms`);
    assert.ok(r.recording);
    const wav = readWav(r.recording.path);
    const caller = wav.samples[0] ?? new Int16Array(0);
    const rate = wav.format.sampleRate;
    const loud = (fromMs: number, toMs: number) =>
      caller.subarray((fromMs * rate) / 1000, (toMs * rate) / 1000).some((s) => s !== 0);
    assert.ok(loud(100, 900), 'speech before the pause is kept');
    assert.ok(!loud(1100, 1900), 'nothing is kept while paused');
    assert.ok(loud(2100, 2900), 'speech after the resume is kept');
    assertNoLeaks(h);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('recording controls on a call that is not recorded: a conflict, named', async () => {
  const h = new SessionHarness({ config: {} });
  await h.start();
  assert.throws(
    () => h.session.controls?.pauseRecording('api'),
    (e) => isAppError(e) && e.status === 409 && /not being recorded/.test(e.message),
  );
  await h.hangup();
  assert.equal(h.session.controls, undefined, 'no controls once the call has ended');
});

test('inject on a speech-to-speech provider without context messages is refused clearly', async () => {
  const h = new SessionHarness({ config: { mode: 'sts' } });
  await h.start();
  assert.throws(
    () => h.session.controls?.inject('note'),
    (e) => isAppError(e) && e.status === 409 && /cannot take a message/.test(e.message),
  );
  await h.hangup();
});

test('the built-in recording tool pauses and resumes the recording; the events say the agent did', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sb-rec-'));
  try {
    const h = new SessionHarness({
      config: { turnTaking: fast, tools: [{ type: 'recording' }] },
      llm: {
        replies: [
          { toolCalls: [{ name: 'recording', args: { action: 'pause' } }] },
          'Go ahead with the card number.',
          { toolCalls: [{ name: 'recording', args: { action: 'resume' } }] },
          'Thank you.',
        ],
      },
      asr: { utterances: ['I want to pay', 'four two four two'] },
      session: { recordingDir: dir },
    });
    await h.start();
    await h.speak(300);
    await h.silence(400);
    assert.ok(await h.until(() => h.of('recording.paused').length === 1, 5000, 20));
    assert.equal(h.of('recording.paused')[0]?.data.by, 'tool');
    await h.advance(2000);
    await h.speak(300);
    await h.silence(400);
    assert.ok(await h.until(() => h.of('recording.resumed').length === 1, 5000, 20));
    const calls = h.of('tool.called').map((e) => e.data);
    assert.deepEqual(
      calls.map((c) => [c.name, c.ok, c.result]),
      [
        ['recording', true, { recording: 'paused' }],
        ['recording', true, { recording: 'recording' }],
      ],
    );
    await h.hangup();
    assertNoLeaks(h);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the recording tool on a call that is not recorded tells the model so', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast, tools: [{ type: 'recording' }] },
    llm: { replies: [{ toolCalls: [{ name: 'recording', args: { action: 'pause' } }] }, 'Alright.'] },
    asr: { utterances: ['pause it'] },
  });
  await h.start();
  await h.speak(300);
  await h.silence(400);
  assert.ok(await h.until(() => h.of('tool.called').length === 1, 5000, 20));
  const call = h.of('tool.called')[0]?.data;
  assert.equal(call?.ok, false);
  assert.match(JSON.stringify(call?.result), /not being recorded/);
  await h.hangup();
  assertNoLeaks(h);
});

test('transfer: the line is said, the leg is handed over and the call ends as transferred', async () => {
  const h = new SessionHarness({ config: { turnTaking: fast } });
  await h.start();
  let done = false;
  void h.session.controls?.transfer('+14155550100', { message: 'Putting you through now.' }).then(() => {
    done = true;
  });
  assert.ok(await h.until(() => done, 15_000, 20), 'the line played, then the transfer');
  assert.deepEqual(h.leg.transfers, ['+14155550100']);
  assert.deepEqual(agentLines(h), ['Putting you through now.']);
  const r = await h.finish();
  assert.equal(r.endedReason, 'transfer');
  assert.equal(h.leg.hungUp, undefined, 'the leg is not hung up: the carrier has the caller');
  assertNoLeaks(h);
});

test('transfer refused by the connector: a conflict naming it, and the call goes on', async () => {
  const h = new SessionHarness({ config: {}, leg: { failTransfer: new Error('REFER rejected: 403') } });
  await h.start();
  await assert.rejects(
    h.session.controls?.transfer('sip:desk@pbx.example.com') ?? Promise.resolve(),
    (e) => isAppError(e) && e.status === 409 && /fake connector could not transfer.*403/.test(e.message),
  );
  assert.ok(h.session.controls, 'still live');
  await h.hangup();
  assertNoLeaks(h);
});

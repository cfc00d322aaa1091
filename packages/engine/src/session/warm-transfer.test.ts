import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAppError } from '@switchboard/core';
import { ConsultFailed } from '../call-leg.js';
import { SessionHarness } from '../fakes/session-harness.js';

const fast = { endOfTurnSilenceMs: 300, minInterruptionMs: 200, falseInterruptionResumeMs: 500 };

const statuses = (h: SessionHarness) => h.of('transfer.status').map((e) => e.data.status);
const agentLines = (h: SessionHarness) =>
  h.of('transcript.final').flatMap((e) => (e.data.role === 'agent' ? [e.data.text] : []));

test('warm transfer: the caller holds, the person hears the summary, the two are bridged', async () => {
  const h = new SessionHarness({ config: { turnTaking: fast }, leg: { consult: 'answer' } });
  await h.start();
  await h.session.controls?.transfer('sip:desk@pbx.example.com', {
    mode: 'warm',
    summary: 'Ada needs a replacement for order 1042.',
  });
  assert.ok(await h.until(() => statuses(h).includes('bridged'), 15_000, 20), statuses(h).join());
  const r = await h.finish();
  assert.deepEqual(statuses(h), ['attempted', 'answered', 'bridged']);
  const person = h.leg.consulted[0];
  assert.ok(person?.bridged, 'bridged');
  assert.ok((person?.heardMs ?? 0) > 0, 'the person heard the summary');
  assert.equal(r.outcome, 'transferred');
  assert.equal(r.endedReason, 'transfer');
  assert.equal(h.leg.hungUp, undefined, 'the caller stays connected to the person');
  assert.ok(h.leg.playedMs > 0, 'the caller heard hold music');
  assert.ok(
    r.transcript.some((e) => e.role === 'tool' && /summary for sip:desk@pbx.example.com: Ada/.test(e.text)),
  );
});

test('warm transfer without a summary: the agent’s model writes one', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast },
    leg: { consult: 'answer' },
    llm: { replies: ['The caller wants to change a booking.'] },
  });
  await h.start();
  await h.session.controls?.transfer('+14155550100', { mode: 'warm', hold: 'silence' });
  assert.ok(await h.until(() => statuses(h).includes('bridged'), 15_000, 20), statuses(h).join());
  const r = await h.finish();
  assert.ok(
    r.transcript.some((e) => e.role === 'tool' && /wants to change a booking/.test(e.text)),
    JSON.stringify(r.transcript),
  );
  assert.equal(h.leg.playedMs, 0, 'silence on hold');
});

test('warm transfer nobody answers: the agent takes the caller back, says so, and the call goes on', async () => {
  const h = new SessionHarness({
    config: { turnTaking: fast },
    leg: { consult: new ConsultFailed('no-answer', 'no answer after 30 s') },
  });
  await h.start();
  await h.session.controls?.transfer('sip:desk@pbx.example.com', { mode: 'warm' });
  assert.ok(await h.until(() => agentLines(h).length === 1, 15_000, 20));
  assert.deepEqual(statuses(h), ['attempted', 'failed']);
  assert.equal(h.of('transfer.status')[1]?.data.reason, 'no-answer');
  assert.match(agentLines(h)[0] ?? '', /nobody answered/i);
  assert.ok(h.session.controls, 'the call goes on');
  const r = await h.hangup();
  assert.equal(r.outcome, 'completed');
});

test('warm transfer on a connector without one: 409 naming the connector, nothing happens', async () => {
  const h = new SessionHarness({ config: {} });
  await h.start();
  await assert.rejects(
    h.session.controls?.transfer('+14155550100', { mode: 'warm' }) ?? Promise.resolve(),
    (e) => isAppError(e) && e.status === 409 && /fake connector cannot make a warm transfer/.test(e.message),
  );
  assert.equal(h.of('transfer.status').length, 0);
  await h.hangup();
});

test('the transfer tool in warm mode bridges the caller', async () => {
  const h = new SessionHarness({
    config: {
      turnTaking: fast,
      tools: [
        {
          type: 'transfer',
          destinations: [{ label: 'desk', target: 'sip:desk@pbx.example.com' }],
          mode: 'warm',
        },
      ],
    },
    leg: { consult: 'answer' },
    asr: { utterances: ['put me through to a person'] },
    llm: {
      replies: [
        { toolCalls: [{ name: 'transfer', args: { destination: 'desk' } }] },
        'A caller for the desk.',
      ],
    },
  });
  await h.start();
  await h.speak(300);
  await h.silence(400);
  assert.ok(await h.until(() => statuses(h).includes('bridged'), 20_000, 20), statuses(h).join());
  const r = await h.finish();
  assert.equal(h.of('transfer.status')[0]?.data.by, 'tool');
  assert.equal(r.outcome, 'transferred');
});

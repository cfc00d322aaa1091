import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PCM16_8K, sineFrame } from '@switchboard/media';
import type { MachineVerdict } from '../call-leg.js';
import { SessionHarness } from '../fakes/session-harness.js';

const agentLines = (h: SessionHarness) =>
  h.of('transcript.final').flatMap((e) => (e.data.role === 'agent' ? [e.data.text] : []));

const outbound = (extra: Record<string, unknown>, machineVerdict?: Promise<MachineVerdict>) =>
  new SessionHarness({
    config: { greeting: 'Hello, this is the clinic.', voicemailDetection: true, ...extra },
    leg: { direction: 'outbound', ...(machineVerdict ? { machineVerdict } : {}) },
  });

test('voicemail: a machine’s greeting and beep get the voicemail message, outcome voicemail', async () => {
  const h = outbound({ voicemailMessage: 'Please call the clinic back about your appointment.' });
  await h.start();
  await h.speak(4200);
  await h.silence(400);
  for (let t = 0; t < 400; t += 20) {
    h.leg.pushAudio(sineFrame(1000, PCM16_8K, 20, 0.3));
    await h.advance(20);
  }
  assert.ok(await h.until(() => h.ended !== undefined, 20_000, 20));
  const r = await h.finish();
  assert.equal(r.outcome, 'voicemail');
  assert.equal(r.endedReason, 'machine-detected');
  assert.deepEqual(agentLines(h), ['Please call the clinic back about your appointment.'], 'no greeting');
  assert.ok(h.leg.hungUp, 'hung up after the message');
});

test('voicemail without a message: the machine is hung up on before the agent speaks', async () => {
  const h = outbound({});
  await h.start();
  await h.speak(4000);
  assert.ok(await h.until(() => h.ended !== undefined, 5000, 20));
  const r = await h.finish();
  assert.equal(r.outcome, 'voicemail');
  assert.equal(r.endedReason, 'machine-detected');
  assert.equal(h.leg.playedMs, 0, 'nothing was played');
});

test('a person’s short hello gets the greeting, and the call goes on', async () => {
  const h = outbound({ voicemailMessage: 'Please call us back.' });
  await h.start();
  await h.silence(300);
  await h.speak(500);
  await h.silence(1000);
  assert.ok(await h.until(() => agentLines(h).length === 1, 10_000, 20));
  assert.deepEqual(agentLines(h), ['Hello, this is the clinic.']);
  const r = await h.hangup();
  assert.equal(r.outcome, 'completed');
});

test('the carrier says a person answered: the agent greets at once', async () => {
  const h = outbound({}, Promise.resolve('human'));
  await h.start();
  assert.ok(await h.until(() => agentLines(h).length === 1, 2000, 20));
  await h.hangup();
});

test('the carrier says a machine answered and no message is set: hung up, outcome voicemail', async () => {
  const h = outbound({}, Promise.resolve('machine'));
  await h.start();
  assert.ok(await h.until(() => h.ended !== undefined, 2000, 20));
  const r = await h.finish();
  assert.equal(r.outcome, 'voicemail');
  assert.equal(h.leg.playedMs, 0);
});

test('the carrier says a machine answered: the message follows the beep the platform hears', async () => {
  const h = outbound({ voicemailMessage: 'Please call us back.' }, Promise.resolve('machine'));
  await h.start();
  await h.speak(1000);
  assert.equal(agentLines(h).length, 0, 'nothing said over the greeting');
  for (let t = 0; t < 300; t += 20) {
    h.leg.pushAudio(sineFrame(1000, PCM16_8K, 20, 0.3));
    await h.advance(20);
  }
  assert.ok(await h.until(() => h.ended !== undefined, 20_000, 20));
  assert.deepEqual(agentLines(h), ['Please call us back.']);
  assert.equal((await h.finish()).outcome, 'voicemail');
});

test('the carrier waited for the greeting to end: the message is left at once', async () => {
  const h = outbound({ voicemailMessage: 'Please call us back.' }, Promise.resolve('machine-end'));
  await h.start();
  assert.ok(await h.until(() => h.ended !== undefined, 20_000, 20));
  assert.deepEqual(agentLines(h), ['Please call us back.']);
});

test('an inbound call is not held for detection', async () => {
  const h = new SessionHarness({
    config: { greeting: 'Hello, this is the clinic.', voicemailDetection: true },
    leg: { direction: 'inbound' },
  });
  await h.start();
  assert.ok(await h.until(() => agentLines(h).length === 1, 10_000, 20));
  await h.hangup();
});

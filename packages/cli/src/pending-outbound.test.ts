import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallLeg } from '@switchboard/engine';
import type { CarrierStatusUpdate } from '@switchboard/telephony';
import { PendingOutbound } from './pending-outbound.js';

const leg = { id: 'leg-1' } as unknown as CallLeg;
const status = (ref: string, patch: Partial<CarrierStatusUpdate>): CarrierStatusUpdate => ({
  connector: 'twilio',
  callId: 'CA1',
  ref,
  status: 'ringing',
  carrierStatus: 'ringing',
  ...patch,
});

test('the leg for a ref ends its wait; a second leg, or one for an unknown ref, is refused', async () => {
  const pending = new PendingOutbound();
  const wait = pending.expect('c1', { timeoutMs: 5000, signal: new AbortController().signal });
  assert.equal(pending.has('c1'), true);
  assert.equal(pending.offerLeg('other', leg), false);
  assert.equal(pending.offerLeg(undefined, leg), false);
  assert.equal(pending.offerLeg('c1', leg), true);
  assert.deepEqual(await wait.arrival, { kind: 'leg', leg });
  assert.equal(pending.offerLeg('c1', leg), false, 'nobody waits any more');
  assert.equal(pending.size, 0);
});

test('progress names the call; a terminal status before the media ends the wait with its outcome', async () => {
  const pending = new PendingOutbound();
  const wait = pending.expect('c2', { timeoutMs: 5000, signal: new AbortController().signal });
  pending.offerStatus(status('c2', { callId: 'uuid-9' }));
  assert.equal(wait.carrierCallId, 'uuid-9');
  pending.offerStatus(
    status('c2', {
      status: 'ended',
      outcome: 'no-answer',
      endedReason: 'no-answer',
      carrierStatus: 'no-answer',
    }),
  );
  assert.deepEqual(await wait.arrival, {
    kind: 'ended',
    outcome: 'no-answer',
    endedReason: 'no-answer',
    detail: 'no-answer',
  });
});

test('a call completed before its media stream connected is a failure of ours, not a conversation', async () => {
  const pending = new PendingOutbound();
  const wait = pending.expect('c3', { timeoutMs: 5000, signal: new AbortController().signal });
  pending.offerStatus(status('c3', { status: 'ended', outcome: 'completed', carrierStatus: 'completed' }));
  const a = await wait.arrival;
  assert.ok(a.kind === 'ended');
  assert.equal(a.outcome, 'failed');
  assert.equal(a.endedReason, 'connector-error');
});

test('the wait always settles: timeout, abort (also one already aborted), cancel, and ARI causes', async () => {
  const pending = new PendingOutbound();
  assert.deepEqual(
    await pending.expect('t', { timeoutMs: 10, signal: new AbortController().signal }).arrival,
    { kind: 'timeout' },
  );
  const ac = new AbortController();
  const aborted = pending.expect('a', { timeoutMs: 5000, signal: ac.signal });
  ac.abort();
  assert.deepEqual(await aborted.arrival, { kind: 'aborted' });
  assert.deepEqual(await pending.expect('a2', { timeoutMs: 5000, signal: ac.signal }).arrival, {
    kind: 'aborted',
  });
  const cancelled = pending.expect('x', { timeoutMs: 5000, signal: new AbortController().signal });
  cancelled.cancel();
  assert.deepEqual(await cancelled.arrival, { kind: 'aborted' });
  const busy = pending.expect('b', { timeoutMs: 5000, signal: new AbortController().signal });
  pending.offerEnd('b', 'busy', 'User busy');
  assert.deepEqual(await busy.arrival, {
    kind: 'ended',
    outcome: 'busy',
    endedReason: 'busy',
    detail: 'User busy',
  });
  assert.equal(pending.size, 0, 'nothing left behind');
});

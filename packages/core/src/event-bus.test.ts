import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallEventBus } from './event-bus.js';
import type { CallEvent } from './events.js';

const ev = (type: CallEvent['type']): CallEvent =>
  ({
    type,
    callId: 'c',
    workspaceId: 'w',
    at: 0,
    data: type === 'dtmf.received' ? { digit: '1' } : {},
  }) as CallEvent;

test('subscribers get the events they asked for; failures stay with the failing subscriber', async () => {
  const errors: unknown[] = [];
  const bus = new CallEventBus((e) => errors.push(e));
  const all: string[] = [];
  const onlyDtmf: string[] = [];
  bus.subscribe(() => {
    throw new Error('sync failure');
  });
  bus.subscribe(async () => {
    throw new Error('async failure');
  });
  bus.subscribe((e) => {
    all.push(e.type);
  });
  const off = bus.subscribe(
    (e) => {
      onlyDtmf.push(e.type);
    },
    ['dtmf.received'],
  );
  bus.publish(ev('call.started'));
  bus.publish(ev('dtmf.received'));
  off();
  bus.publish(ev('dtmf.received'));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(all, ['call.started', 'dtmf.received', 'dtmf.received']);
  assert.deepEqual(onlyDtmf, ['dtmf.received']);
  assert.equal(errors.length, 6);
});

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import type { CallRunner } from '@switchboard/server';
import { SipServer } from '@switchboard/telephony';
import { createCallPlacer } from './placer.js';

// Regression: an outbound call to a trunk that never answered ended `failed` with `error: null`;
// the call row now says why, from the SIP dial's own error.
describe('the call placer says why a SIP call failed', () => {
  const silent = createSocket('udp4');
  let sip: SipServer;
  let trunkUri: string;

  before(async () => {
    // A trunk that takes packets and never answers them.
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    trunkUri = `sip:127.0.0.1:${silent.address().port}`;
    const b = 34000 + 2 * Math.floor(Math.random() * 3000);
    sip = new SipServer({
      port: 0,
      transports: ['udp'],
      rtpPortRange: [b, b + 10],
      // Timer B is 64 × T1: 640 ms here instead of 32 s.
      timers: { t1Ms: 10, t2Ms: 40 },
      trunk: { uri: trunkUri },
    });
    await sip.start();
  });
  after(async () => {
    await sip.stop();
    silent.close();
  });

  test('an unanswered INVITE fails the call naming the trunk and the timeout', async () => {
    const placer = createCallPlacer({ runner: {} as CallRunner, sip, logger: silentLogger() });
    const r = await placer.place(
      {
        callId: '00000000-0000-4000-8000-000000000001',
        workspaceId: 'w',
        agentId: 'a',
        to: '+14155550199',
        from: '+14155550100',
        variables: {},
        connector: 'sip',
      },
      new AbortController().signal,
    );
    assert.equal(r.outcome, 'failed');
    assert.ok(r.error, 'the call row gets an error');
    assert.match(r.error, new RegExp(`no answer from ${trunkUri.replace(/\./g, '\\.')}`));
    assert.match(r.error, /INVITE timed out after 0\.64 s/);
  });
});

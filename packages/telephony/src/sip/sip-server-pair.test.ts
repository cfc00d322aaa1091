import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MULAW_8K } from '@switchboard/media';
import type { SipCallLeg } from './sip-call-leg.js';
import { SipDialError } from './sip-errors.js';
import { SipServer } from './sip-server.js';

const range = (): [number, number] => {
  const b = 32000 + 2 * Math.floor(Math.random() * 4000);
  return [b, b + 20];
};

/** A 20 ms μ-law frame of a loud square wave, distinguishable from silence. */
const tone = () => ({
  format: MULAW_8K,
  data: new Uint8Array(160).map((_, i) => ((i >> 3) % 2 ? 0x20 : 0xa0)),
});

describe('two SipServers: UAC calls UAS over loopback', () => {
  let caller: SipServer;
  let callee: SipServer;
  let onCall: (leg: SipCallLeg) => Promise<void> | undefined = () => undefined;

  before(async () => {
    callee = new SipServer({
      port: 0,
      rtpPortRange: range(),
      auth: { realm: 'test', users: { alice: 's3cret' } },
      onCall: (leg) => onCall(leg),
    });
    caller = new SipServer({ port: 0, rtpPortRange: range() });
    await Promise.all([callee.start(), caller.start()]);
  });
  after(async () => {
    await Promise.all([caller.stop(), callee.stop()]);
  });

  const trunk = (password: string, transport: 'udp' | 'tcp' = 'udp') => ({
    uri: `sip:127.0.0.1:${callee.address.port}`,
    username: 'alice',
    password,
    transport,
  });

  for (const transport of ['udp', 'tcp'] as const) {
    test(`digest auth, audio both ways, DTMF, re-INVITE and BYE over ${transport}`, async () => {
      let inbound: SipCallLeg | undefined;
      const answered = new Promise<SipCallLeg>((resolve) => {
        onCall = (leg) => {
          inbound = leg;
          resolve(leg);
          return undefined;
        };
      });
      const leg = await caller.dial({
        to: '+15550001',
        from: 'bot',
        trunk: trunk('s3cret', transport),
        timeoutMs: 5000,
      });
      const far = await answered;
      assert.equal(far.to, '+15550001');
      assert.equal(far.from, 'bot');
      const heardByFar: number[] = [];
      const heardByUs: number[] = [];
      const digits: string[] = [];
      far.on('dtmf', (d) => digits.push(d));
      void (async () => {
        for await (const f of far.audio) heardByFar.push(f.data[0] ?? 0);
      })();
      void (async () => {
        for await (const f of leg.audio) heardByUs.push(f.data[0] ?? 0);
      })();
      for (let i = 0; i < 25; i++) {
        leg.play(tone());
        far.play(tone());
        await new Promise((r) => setTimeout(r, 20));
      }
      await leg.sendDtmf('4#');
      await leg.reinvite();
      for (let i = 0; i < 10; i++) {
        leg.play(tone());
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(heardByFar.filter((b) => b === 0xa0).length >= 20, `far heard ${heardByFar.length}`);
      assert.ok(heardByUs.filter((b) => b === 0xa0).length >= 15, `we heard ${heardByUs.length}`);
      assert.deepEqual(digits, ['4', '#']);
      assert.equal(far.state, 'confirmed');
      const farEnded = new Promise((r) => far.once('hangup', r));
      await leg.hangup();
      assert.equal(await farEnded, 'caller-hangup');
      assert.equal(inbound?.activeTimers, 0);
      assert.equal(leg.activeTimers, 0);
      assert.deepEqual(caller.resources, { calls: 0, pendingInvites: 0, clientTransactions: 0, tickers: 0 });
    });
  }

  test('the callee hanging up ends our outbound leg with callee-hangup', async () => {
    const answered = new Promise<SipCallLeg>((resolve) => {
      onCall = (leg) => {
        resolve(leg);
        return undefined;
      };
    });
    const leg = await caller.dial({ to: '+15550002', from: 'bot', trunk: trunk('s3cret'), timeoutMs: 5000 });
    const far = await answered;
    const ended = new Promise((r) => leg.once('hangup', r));
    await far.hangup();
    assert.equal(leg.direction, 'outbound');
    assert.equal(await ended, 'callee-hangup');
  });

  test('wrong password fails with a typed error', async () => {
    await assert.rejects(
      caller.dial({ to: '+15550001', trunk: trunk('wrong'), timeoutMs: 3000 }),
      (e: unknown) => {
        assert.ok(e instanceof SipDialError, String(e));
        assert.equal(e.outcome, 'failed');
        assert.equal(e.sipStatus, 401);
        return true;
      },
    );
  });

  test('busy and abort before answer map to outcomes', async () => {
    onCall = () => {
      throw new (class extends Error {})();
    };
    await assert.rejects(
      caller.dial({ to: '1', trunk: trunk('s3cret') }),
      (e: unknown) => e instanceof SipDialError && e.outcome === 'failed',
    );
    const { SipReject } = await import('./sip-errors.js');
    onCall = () => {
      throw new SipReject(486);
    };
    await assert.rejects(
      caller.dial({ to: '1', trunk: trunk('s3cret') }),
      (e: unknown) => e instanceof SipDialError && e.outcome === 'busy',
    );
    let cancelled: unknown;
    onCall = (leg) => {
      leg.on('hangup', (r) => {
        cancelled = r;
      });
      return new Promise<void>(() => {}); // still ringing when the caller aborts
    };
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(
      caller.dial({ to: '1', trunk: trunk('s3cret'), signal: ac.signal }),
      (e: unknown) => e instanceof SipDialError && e.outcome === 'cancelled',
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(cancelled, 'cancelled');
    assert.equal(callee.resources.pendingInvites, 0);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { conflict, isAppError, silentLogger } from '@switchboard/core';
import type { CallSession } from '@switchboard/engine';
import type { Store } from '@switchboard/store';
import { openTestStore } from '@switchboard/store/testing';
import { Redis } from 'ioredis';
import { CallControl } from './call-control.js';
import { RedisCallDirectory } from './call-directory.js';
import type { CallRunner } from './call-runner.js';
import { RedisNonces, TalkTokens } from './talk-token.js';

const url = process.env.REDIS_URL;

// Two processes sharing Redis: one runs the call, the other takes the API request for it.
describe('live calls shared through Redis', {
  skip: !url && 'needs Redis: set REDIS_URL=redis://127.0.0.1:6379',
}, () => {
  let store: Store;
  const clients: Redis[] = [];
  const redis = () => {
    const r = new Redis(url!, { maxRetriesPerRequest: 1 });
    clients.push(r);
    return r;
  };
  before(async () => {
    redis();
    store = await openTestStore('pglite');
  });
  after(async () => {
    for (const c of clients) await c.quit();
    await store.close();
  });

  /** The directory's entry as stored, without the liveness check. */
  const rawOwner = (callId: string) => clients[0]!.hget('switchboard:calls:owner', callId);
  const directory = (instanceId: string, leaseMs = 30_000) =>
    new RedisCallDirectory({
      redis: redis(),
      instanceId,
      leaseMs,
      logger: silentLogger(),
      replyTimeoutMs: 2_000,
    });

  test('a command goes to the process that runs the call, and its answer (or refusal) comes back', async () => {
    const ws = await store.accounts.createWorkspace('Routed');
    const call = await store.calls.create({
      workspaceId: ws.id,
      direction: 'inbound',
      connector: 'sip',
      fromNumber: '+15550001',
      toNumber: '+15550002',
      status: 'in-progress',
      owner: 'somewhere',
    });
    const said: string[] = [];
    const session = {
      end: () => {},
      controls: {
        say: (text: string) => said.push(text),
        pauseRecording: () => {
          throw conflict('this call is not being recorded');
        },
      },
    } as unknown as CallSession;
    const runnerB = {
      session: (id: string, w: string) => (id === call.id && w === ws.id ? session : undefined),
    } as unknown as CallRunner;
    const dirA = directory(`a-${randomUUID()}`);
    const dirB = directory(`b-${randomUUID()}`);
    const a = new CallControl({ store, logger: silentLogger(), directory: dirA });
    const b = new CallControl({ store, logger: silentLogger(), runner: runnerB, directory: dirB });
    await dirA.start();
    await dirB.start();
    await a.start();
    await b.start();
    try {
      dirB.claim(call.id);
      assert.equal(await dirA.ownerOf(call.id), dirB.instanceId);
      const r = await a.apply(ws.id, call.id, { action: 'say', text: 'One moment.', interrupt: false });
      // Applied by B and confirmed before the answer: no waiting for a broadcast to land.
      assert.equal(r.result, 'applied');
      assert.deepEqual(said, ['One moment.']);
      await assert.rejects(
        a.apply(ws.id, call.id, { action: 'recording', state: 'paused' }),
        (e) => isAppError(e) && e.status === 409 && /not being recorded/.test(e.message),
      );
      const stats = await dirA.stats();
      assert.ok(stats.workers >= 2 && stats.liveCalls >= 1, JSON.stringify(stats));

      // B ends the call: the directory forgets it, and A falls back to the broadcast.
      dirB.release(call.id);
      await waitUntil(async () => (await dirA.ownerOf(call.id)) === undefined);
      assert.equal(
        (await a.apply(ws.id, call.id, { action: 'say', text: 'Still there?', interrupt: false })).result,
        'forwarded',
      );
    } finally {
      await a.stop();
      await b.stop();
      await dirA.stop();
      await dirB.stop();
    }
  });

  test("a dead process's calls are not routed to it, and a stopped one is known to be gone at once", async () => {
    const dead = directory(`dead-${randomUUID()}`, 50);
    const live = directory(`live-${randomUUID()}`);
    await dead.start();
    await live.start();
    const callId = randomUUID();
    dead.claim(callId);
    await waitUntil(async () => (await rawOwner(callId)) !== null);
    // Its heartbeat lapses (the process died without stopping).
    await new Promise((r) => setTimeout(r, 80));
    assert.equal(await live.ownerOf(callId), undefined);
    assert.equal(await rawOwner(callId), dead.instanceId, 'still listed until a heartbeat prunes it');
    await live.heartbeat([]);
    assert.equal(await rawOwner(callId), null, "a live process's heartbeat removed the dead one's calls");
    assert.equal(await clients[0]!.zscore('switchboard:workers', dead.instanceId), null);

    const gone = directory(`gone-${randomUUID()}`);
    await gone.start();
    await gone.stop();
    const answer = await live.send(gone.instanceId, {
      callId,
      workspaceId: randomUUID(),
      command: { action: 'hangup' },
    });
    assert.equal(answer, 'gone');
    await dead.stop();
    await live.stop();
  });

  test('a heartbeat writes the live calls again, so a Redis that lost them is whole after one beat', async () => {
    const d = directory(`beat-${randomUUID()}`);
    await d.start();
    const ids = [randomUUID(), randomUUID()];
    await d.heartbeat(ids);
    for (const id of ids) assert.equal(await d.ownerOf(id), d.instanceId);
    await d.stop(ids);
    for (const id of ids) assert.equal(await rawOwner(id), null, 'a stopping process removes its calls');
  });

  test('a talk token opens one call, whichever process it reaches; a reusable one opens many', async () => {
    const secret = 'talk-token-secret-0123456789abcdef';
    const one = new TalkTokens(secret, 60_000, new RedisNonces(redis()));
    const two = new TalkTokens(secret, 60_000, new RedisNonces(redis()));
    const { token } = one.mint('agent-1', 'ws-1');
    assert.equal((await two.redeem(token))?.agentId, 'agent-1');
    assert.equal(await one.redeem(token), null, 'spent on the other process');
    assert.equal(await two.redeem(token), null);
    const demo = one.mint('agent-1', 'ws-1', Date.now(), { reusable: true }).token;
    assert.ok(await one.redeem(demo));
    assert.ok(await two.redeem(demo));
  });
});

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail('condition never held');
}

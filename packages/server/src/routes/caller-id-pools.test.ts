import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '@switchboard/core';
import { createDialer } from '@switchboard/dialer';
import { FakeCarrier } from '@switchboard/dialer/testing';
import { testBackends } from '@switchboard/store/testing';
import { bearer, createTestApp, type TestApp } from '../testing.js';

const numbers = ['+14155550100', '+14155550101', '+14155550102'];

for (const backend of testBackends()) {
  describe(`caller-ID pools, dialer limits and campaign controls over the API (${backend})`, () => {
    let t: TestApp;
    let agentId: string;
    let viewerKey: string;
    let keyB: string;
    let poolB: string;

    before(async () => {
      t = await createTestApp({ backend });
      const agent = await t.store.agents.create(t.workspaceId, {
        name: 'Caller',
        publish: true,
        config: { systemPrompt: 'Call {{name}}.' },
      });
      agentId = agent.id;
      for (const number of numbers)
        await t.store.phoneNumbers.create(t.workspaceId, { number, connector: 'sip' });
      viewerKey = (await t.store.apiKeys.create(t.workspaceId, { name: 'viewer', role: 'viewer' })).key;
      const b = await t.store.accounts.createWorkspace('B');
      keyB = (await t.store.apiKeys.create(b.id, { name: 'b', role: 'admin' })).key;
      await t.store.phoneNumbers.create(b.id, { number: '+14155550177', connector: 'sip' });
      const r = await req('POST', '/v1/caller-id-pools', { name: 'b-pool', numbers: ['+14155550177'] }, keyB);
      assert.equal(r.statusCode, 201, r.body);
      poolB = r.json().id;
    });
    after(() => t.close());

    const req = (method: string, url: string, payload?: unknown, key = t.adminKey) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: bearer(key),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    const poolNames = async () =>
      (await req('GET', '/v1/caller-id-pools')).json().data.map((p: { name: string }) => p.name);

    test('create, list, get, edit and delete a pool', async () => {
      const created = await req('POST', '/v1/caller-id-pools', {
        name: 'sales',
        numbers: numbers.slice(0, 2),
      });
      assert.equal(created.statusCode, 201, created.body);
      const id = created.json().id as string;
      assert.deepEqual(created.json().numbers, numbers.slice(0, 2));
      assert.equal((await req('GET', `/v1/caller-id-pools/${id}`)).json().name, 'sales');
      assert.deepEqual(await poolNames(), ['sales']);
      const edited = await req('PATCH', `/v1/caller-id-pools/${id}`, { name: 'sales-west', numbers });
      assert.equal(edited.statusCode, 200, edited.body);
      assert.deepEqual(edited.json().numbers, numbers);
      assert.equal((await req('DELETE', `/v1/caller-id-pools/${id}`)).statusCode, 204);
      assert.equal((await req('GET', `/v1/caller-id-pools/${id}`)).statusCode, 404);
    });

    test('invalid pools are refused naming the field, and nothing is stored or changed', async () => {
      const cases: [unknown, string][] = [
        [{ name: 'x', numbers: [numbers[0], '+14155550199'] }, 'body.numbers.1'],
        [{ name: 'x', numbers: [numbers[0], numbers[0]] }, 'body.numbers.1'],
        [{ name: 'x', numbers: ['12345'] }, 'body.numbers.0'],
        [{ name: 'x', numbers: [] }, 'body.numbers'],
        [{ name: '+14155550100', numbers: [numbers[0]] }, 'body.name'],
        [{ name: 'x', numbers: [numbers[0]], extra: 1 }, 'body.extra'],
      ];
      for (const [body, path] of cases) {
        const r = await req('POST', '/v1/caller-id-pools', body);
        assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`);
        assert.equal(r.json().error.details[0].path, path, JSON.stringify(body));
      }
      assert.deepEqual(await poolNames(), []);
      const pool = (await req('POST', '/v1/caller-id-pools', { name: 'kept', numbers: [numbers[0]] })).json();
      const taken = await req('POST', '/v1/caller-id-pools', { name: 'kept', numbers: [numbers[1]] });
      assert.equal(taken.statusCode, 409);
      assert.equal(taken.json().error.details[0].path, 'name');
      const bad = await req('PATCH', `/v1/caller-id-pools/${pool.id}`, {
        name: 'renamed',
        numbers: ['+14155550199'],
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details[0].path, 'body.numbers.0');
      const still = (await req('GET', `/v1/caller-id-pools/${pool.id}`)).json();
      assert.deepEqual([still.name, still.numbers], ['kept', [numbers[0]]]);
      assert.equal(
        (await req('POST', '/v1/caller-id-pools', { name: 'v', numbers }, viewerKey)).statusCode,
        403,
      );
      assert.equal((await req('GET', '/v1/caller-id-pools', undefined, viewerKey)).statusCode, 200);
      assert.equal((await req('DELETE', `/v1/caller-id-pools/${pool.id}`)).statusCode, 204);
    });

    test("another workspace's pool is a 404 here and cannot be dialled from", async () => {
      assert.equal((await req('GET', `/v1/caller-id-pools/${poolB}`)).statusCode, 404);
      const patch = await req('PATCH', `/v1/caller-id-pools/${poolB}`, { name: 'stolen' });
      assert.equal(patch.statusCode, 404);
      assert.equal((await req('DELETE', `/v1/caller-id-pools/${poolB}`)).statusCode, 404);
      assert.ok(!(await req('GET', '/v1/caller-id-pools')).body.includes(poolB));
      const call = await req('POST', '/v1/calls', {
        agent: agentId,
        to: '+14155550123',
        from: poolB,
        variables: { name: 'A' },
      });
      assert.equal(call.statusCode, 400);
      assert.equal(call.json().error.details[0].path, 'body.from');
      const campaign = await req('POST', '/v1/campaigns', { agentId, name: 'thief', callerId: poolB });
      assert.equal(campaign.statusCode, 400);
      assert.equal(campaign.json().error.details[0].path, 'body.callerId');
      // B's pool is untouched.
      assert.equal((await req('GET', `/v1/caller-id-pools/${poolB}`, undefined, keyB)).json().name, 'b-pool');
    });

    test('a pool id is a valid `from` for calls and `callerId` for campaigns', async () => {
      const pool = (await req('POST', '/v1/caller-id-pools', { name: 'outbound', numbers })).json();
      const call = await req('POST', '/v1/calls', {
        agent: agentId,
        to: '+14155550124',
        from: pool.id,
        variables: { name: 'A' },
      });
      assert.equal(call.statusCode, 202, call.body);
      assert.ok(numbers.includes(call.json().from));
      const campaign = await req('POST', '/v1/campaigns', { agentId, name: 'from-pool', callerId: pool.id });
      assert.equal(campaign.statusCode, 201, campaign.body);
      assert.equal(campaign.json().campaign.callerId, pool.id);
      const inUse = await req('DELETE', `/v1/caller-id-pools/${pool.id}`);
      assert.equal(inUse.statusCode, 409);
      assert.match(inUse.json().error.message, /from-pool/);
      await req('POST', `/v1/campaigns/${campaign.json().campaign.id}/cancel`, {});
      assert.equal((await req('DELETE', `/v1/caller-id-pools/${pool.id}`)).statusCode, 204);
    });

    test('dialer limits: defaults, set, validation naming the field without changes, roles', async () => {
      const initial = await req('GET', '/v1/dialer-limits');
      assert.equal(initial.statusCode, 200);
      assert.deepEqual(initial.json(), {
        maxConcurrentCalls: null,
        callsPerSecondPerNumber: null,
        effective: { maxConcurrentCalls: 10, callsPerSecondPerNumber: 1 },
      });
      const set = await req('PUT', '/v1/dialer-limits', {
        maxConcurrentCalls: 25,
        callsPerSecondPerNumber: 3,
      });
      assert.equal(set.statusCode, 200, set.body);
      assert.deepEqual(set.json().effective, { maxConcurrentCalls: 25, callsPerSecondPerNumber: 3 });
      for (const [body, path] of [
        [{ maxConcurrentCalls: 0, callsPerSecondPerNumber: 3 }, 'body.maxConcurrentCalls'],
        [{ maxConcurrentCalls: 5, callsPerSecondPerNumber: 1.5 }, 'body.callsPerSecondPerNumber'],
        [{ maxConcurrentCalls: 5 }, 'body.callsPerSecondPerNumber'],
      ] as const) {
        const r = await req('PUT', '/v1/dialer-limits', body);
        assert.equal(r.statusCode, 400, JSON.stringify(body));
        assert.equal(r.json().error.details[0].path, path);
      }
      assert.equal(
        (
          await req(
            'PUT',
            '/v1/dialer-limits',
            { maxConcurrentCalls: 1, callsPerSecondPerNumber: 1 },
            viewerKey,
          )
        ).statusCode,
        403,
      );
      const after = (await req('GET', '/v1/dialer-limits', undefined, viewerKey)).json();
      assert.deepEqual([after.maxConcurrentCalls, after.callsPerSecondPerNumber], [25, 3]);
      // Another workspace's limits are its own.
      assert.equal((await req('GET', '/v1/dialer-limits', undefined, keyB)).json().maxConcurrentCalls, null);
      const reset = await req('PUT', '/v1/dialer-limits', {
        maxConcurrentCalls: null,
        callsPerSecondPerNumber: null,
      });
      assert.equal(reset.json().effective.maxConcurrentCalls, 10);
    });

    test('a campaign edit with an unknown time zone is refused naming the field and changes nothing', async () => {
      const c = (await req('POST', '/v1/campaigns', { agentId, name: 'zone', callerId: numbers[0] })).json()
        .campaign;
      const bad = await req('PATCH', `/v1/campaigns/${c.id}`, {
        name: 'renamed',
        callingWindow: { timeZone: 'Mars/Olympus', days: [1], start: '09:00', end: '17:00' },
      });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.details[0].path, 'body.callingWindow.timeZone');
      const got = (await req('GET', `/v1/campaigns/${c.id}`)).json();
      assert.deepEqual([got.name, got.callingWindow, got.windowOpensAt], ['zone', null, null]);
      const retry = await req('PATCH', `/v1/campaigns/${c.id}`, { retry: { busyDelaySeconds: 60 } });
      assert.equal(retry.statusCode, 200, retry.body);
      assert.equal(retry.json().retry.busyDelaySeconds, 60);
      assert.equal(retry.json().retry.maxAttempts, 3, 'other retry settings are kept');
      await req('POST', `/v1/campaigns/${c.id}/cancel`, {});
    });

    test('the circuit breaker pauses a failing campaign with its reason; resume clears it', async () => {
      const carrier = new FakeCarrier({ kind: 'failed' });
      const dialer = createDialer({
        store: t.store,
        placer: carrier,
        logger: silentLogger(),
        tickMs: 50,
        limits: { callsPerSecondPerNumber: 100 },
      });
      await dialer.start();
      const phones = ['+14155550301', '+14155550302', '+14155550303', '+14155550304'];
      try {
        const created = await req('POST', '/v1/campaigns', {
          agentId,
          name: 'failing',
          callerId: numbers[0],
          maxConcurrency: 1,
          breaker: { window: 3, failureRatio: 1 },
          contacts: phones.map((phone) => ({
            phone,
            variables: { name: 'F' },
          })),
        });
        assert.equal(created.statusCode, 201, created.body);
        const id = created.json().campaign.id as string;
        const get = async () => (await req('GET', `/v1/campaigns/${id}`)).json();
        // Generous waits: a loaded machine only makes them slower, never wrong.
        let deadline = Date.now() + 60_000;
        while ((await get()).status === 'active' && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        const paused = await get();
        assert.equal(paused.status, 'paused');
        assert.equal(paused.pausedReason, 'circuit breaker: 3 of the last 3 calls failed');
        assert.equal(paused.progress.contacts.pending, 1);
        const resumed = await req('POST', `/v1/campaigns/${id}/resume`, {});
        assert.equal(resumed.statusCode, 200);
        assert.equal(resumed.json().status, 'active');
        assert.equal(resumed.json().pausedReason, null);
        // One more failure after resuming is not three: the campaign finishes instead of re-pausing.
        deadline = Date.now() + 60_000;
        while ((await get()).status === 'active' && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
        assert.equal((await get()).status, 'completed');
        assert.equal(carrier.placements.filter((p) => phones.includes(p.to)).length, 4);
      } finally {
        await dialer.stop();
      }
    });
  });
}

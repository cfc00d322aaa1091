import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bearer, createTestApp, type TestApp } from '../testing.js';

describe('post-call analysis routes', () => {
  let t: TestApp;
  const analysed = {
    analysis: { summary: true, llm: ['local:analyst'] },
  };
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  async function call(
    config: Record<string, unknown>,
    status: 'ended' | 'in-progress',
    workspaceId = t.workspaceId,
  ) {
    const agent = await t.store.agents.create(workspaceId, {
      name: `A ${Math.random()}`,
      publish: true,
      config,
    });
    const row = await t.store.calls.create({
      workspaceId,
      direction: 'inbound',
      connector: 'sip',
      fromNumber: '+14155550100',
      toNumber: '+14155550111',
      agentId: agent.id,
      agentVersion: 1,
    });
    if (status === 'ended') await t.store.calls.setStatus(row.id, 'ended', { endedAt: new Date() });
    else await t.store.calls.setStatus(row.id, 'in-progress');
    return row.id;
  }
  const post = (id: string) =>
    t.app.inject({ method: 'POST', url: `/v1/calls/${id}/analysis`, headers: bearer(t.adminKey) });
  const get = (id: string) =>
    t.app.inject({ method: 'GET', url: `/v1/calls/${id}/analysis`, headers: bearer(t.adminKey) });

  test('an ended call of an agent with analysis is queued; reading it shows it pending', async () => {
    const id = await call(analysed, 'ended');
    assert.equal((await get(id)).statusCode, 404, 'nothing queued yet');
    const r = await post(id);
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(r.json().status, 'pending');
    assert.equal(r.json().attempts, 0);
    const g = await get(id);
    assert.equal(g.statusCode, 200);
    assert.equal(g.json().callId, id);
  });

  test('a call still in progress, or whose agent defines no analysis, is refused with the reason', async () => {
    const live = await post(await call(analysed, 'in-progress'));
    assert.equal(live.statusCode, 409);
    assert.match(live.json().error.message, /has not ended/);
    const none = await post(await call({}, 'ended'));
    assert.equal(none.statusCode, 409);
    assert.match(none.json().error.message, /defines no analysis/);
  });

  test("another workspace's call is not found", async () => {
    const other = await t.store.accounts.createWorkspace('Other');
    const id = await call(analysed, 'ended', other.id);
    assert.equal((await post(id)).statusCode, 404);
    assert.equal((await get(id)).statusCode, 404);
  });
});

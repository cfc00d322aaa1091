import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestPlatform, type TestPlatform, waitFor } from './platform-testkit.js';

const FROM = '+14155550100';

// Campaigns over the API of the started platform, its dialer ticking on its own: every contact a
// campaign is created with, or given later, gets a call (here a failing one: built-in SIP is off),
// and the campaign completes only once they all have.
describe('campaigns on the started platform', () => {
  let t: TestPlatform;
  let key: string;

  before(async () => {
    t = await startTestPlatform();
    const { store } = t.platform;
    await store.phoneNumbers.create(t.workspaceId, { number: FROM, connector: 'sip' });
    ({ key } = await store.apiKeys.create(t.workspaceId, { name: 'campaigns', role: 'admin' }));
  });
  after(() => t?.close());

  const api = (method: 'GET' | 'POST', url: string, payload?: string | object, type?: string) =>
    t.platform.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(type ? { 'content-type': type } : {}) },
      ...(payload === undefined ? {} : { payload }),
    });
  const contacts = async (id: string) =>
    (await api('GET', `/v1/campaigns/${id}/contacts?limit=100`)).json().data as {
      status: string;
      attempts: number;
      lastCallId: string | null;
    }[];
  const everyoneCalled = (id: string, n: number) =>
    waitFor(
      'every contact called',
      async () => {
        const cs = await contacts(id);
        return cs.length === n && cs.every((c) => c.status === 'done' && c.attempts === 1 && c.lastCallId);
      },
      90_000,
    );
  const completed = (id: string) =>
    waitFor(
      'the campaign to complete',
      async () => (await api('GET', `/v1/campaigns/${id}`)).json().status === 'completed',
      90_000,
    );

  test('a campaign created from a CSV calls every row, then completes', async () => {
    const csv = `phone\n${Array.from({ length: 6 }, (_, i) => `+1415555${7000 + i}`).join('\n')}\n`;
    const r = await api(
      'POST',
      `/v1/campaigns?agentId=${t.demoAgentId}&name=csv&callerId=${encodeURIComponent(FROM)}`,
      csv,
      'text/csv',
    );
    assert.equal(r.statusCode, 201, r.body);
    const { campaign, import: imp } = r.json();
    assert.equal(imp.added, 6);
    await everyoneCalled(campaign.id, 6);
    await completed(campaign.id);
  });

  test('a campaign created with contacts: [] waits for its contacts, and calls those added later', async () => {
    const r = await api('POST', '/v1/campaigns', {
      agentId: t.demoAgentId,
      name: 'later',
      callerId: FROM,
      contacts: [],
    });
    assert.equal(r.statusCode, 201, r.body);
    const { campaign } = r.json();
    // Let the dialer's fill run over the empty campaign a few times (it ticks every second).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal((await api('GET', `/v1/campaigns/${campaign.id}`)).json().status, 'active');
    const add = await api('POST', `/v1/campaigns/${campaign.id}/contacts`, {
      contacts: [{ phone: '+14155557101' }, { phone: '+14155557102' }],
    });
    assert.equal(add.statusCode, 200, add.body);
    assert.equal(add.json().added, 2);
    await everyoneCalled(campaign.id, 2);
    await completed(campaign.id);
  });
});

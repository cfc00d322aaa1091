import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TalkTokens } from './calls/talk-token.js';
import { bearer, createTestApp, type TestApp } from './testing.js';

describe('talk tokens', () => {
  test('a token names one agent and expires; a forged or altered one is refused', () => {
    const t = new TalkTokens('secret-a-0123456789012345', 1000);
    const { token } = t.mint('agent-1', 'ws-1', 10_000);
    assert.deepEqual(t.verify(token, 10_500), { agentId: 'agent-1', workspaceId: 'ws-1', exp: 11_000 });
    assert.equal(t.verify(token, 11_001), null, 'expired');
    assert.equal(new TalkTokens('another-secret-0123456789').verify(token, 10_500), null, 'other key');
    const [payload, sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ agentId: 'agent-2', workspaceId: 'ws-1', exp: 99_999 }),
    ).toString('base64url');
    assert.equal(t.verify(`${forged}.${sig}`, 10_500), null, 'altered payload');
    assert.equal(t.verify(`${payload}.`, 10_500), null);
    assert.equal(t.verify('garbage', 10_500), null);
  });

  test('a token opens one call in this process; a reusable one any number until it expires', async () => {
    const t = new TalkTokens('secret-a-0123456789012345', 60_000);
    const { token } = t.mint('agent-1', 'ws-1');
    assert.equal((await t.redeem(token))?.agentId, 'agent-1');
    assert.equal(await t.redeem(token), null, 'already used');
    assert.ok(t.verify(token), 'still well formed and unexpired');
    const demo = t.mint('agent-1', 'ws-1', Date.now(), { reusable: true }).token;
    assert.ok(await t.redeem(demo));
    assert.ok(await t.redeem(demo));
    const old = t.mint('agent-1', 'ws-1', Date.now() - 120_000, { reusable: true }).token;
    assert.equal(await t.redeem(old), null, 'expired');
  });
});

describe('test chat and talk-token routes', () => {
  let t: TestApp;
  let agentId: string;
  before(async () => {
    t = await createTestApp();
    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: bearer(t.adminKey),
      payload: {
        name: 'Chatty',
        publish: true,
        config: { greeting: 'Hello {{name}}', tools: [{ type: 'end_call' }] },
      },
    });
    agentId = r.json().id;
  });
  after(() => t.close());

  test('a typed conversation runs the same model and tools, and ends through end_call', async () => {
    const h = bearer(t.adminKey);
    const first = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agentId}/test-chat`,
      headers: h,
      payload: { message: 'what are your hours', variables: { name: 'Ada' } },
    });
    assert.equal(first.statusCode, 200, first.body);
    const { sessionId } = first.json();
    assert.equal(first.json().greeting, 'Hello Ada');
    assert.equal(first.json().reply, 'You said: what are your hours');
    const bye = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agentId}/test-chat`,
      headers: h,
      payload: { sessionId, message: 'ok bye' },
    });
    assert.equal(bye.json().ended, true);
    assert.equal(bye.json().toolCalls[0].name, 'end_call');
    const gone = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agentId}/test-chat`,
      headers: h,
      payload: { sessionId, message: 'hello?' },
    });
    assert.equal(gone.statusCode, 404, 'an ended chat is closed');
  });

  test('talk tokens are minted for published agents of the workspace only', async () => {
    const r = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agentId}/talk-token`,
      headers: bearer(t.adminKey),
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.match(r.json().url, new RegExp(`/talk/${agentId}\\?token=`));
    const draftOnly = await t.app.inject({
      method: 'POST',
      url: '/v1/agents',
      headers: bearer(t.adminKey),
      payload: { name: 'Unpublished' },
    });
    const d = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${draftOnly.json().id}/talk-token`,
      headers: bearer(t.adminKey),
    });
    assert.equal(d.statusCode, 404);
    const other = await t.store.accounts.createWorkspace('Other');
    const otherKey = (await t.store.apiKeys.create(other.id, { name: 'o', role: 'admin' })).key;
    const x = await t.app.inject({
      method: 'POST',
      url: `/v1/agents/${agentId}/talk-token`,
      headers: bearer(otherKey),
    });
    assert.equal(x.statusCode, 404);
  });
});

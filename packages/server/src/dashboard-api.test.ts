/**
 * The endpoints the dashboard needs beyond the everyday API: whether setup is pending, switching
 * a session's workspace, call statistics, and calls and deliveries filtered by number and call.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SETUP_TOKEN_KEY } from './routes/auth.js';
import { bearer, createTestApp, type TestApp } from './testing.js';

const ORIGIN = { origin: 'http://127.0.0.1:3000' };

describe('dashboard endpoints', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  const login = async (email: string, password: string) => {
    const r = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
    assert.equal(r.statusCode, 200, r.body);
    const cookie = r.cookies.find((c) => c.name === 'sb_session');
    return { cookie: `sb_session=${cookie!.value}` };
  };

  test('GET /v1/setup says whether the first owner is still to be created, to anyone', async () => {
    assert.deepEqual((await t.app.inject({ url: '/v1/setup' })).json(), { needed: false });
    await t.store.settings.set(SETUP_TOKEN_KEY, 'a-hash');
    assert.deepEqual((await t.app.inject({ url: '/v1/setup' })).json(), { needed: true });
    await t.store.settings.delete(SETUP_TOKEN_KEY);
  });

  test('a session switches to another workspace of its user, and only to one', async () => {
    const password = 'switching password 1';
    await t.store.accounts.addMember(t.workspaceId, { email: 'sam@example.com', password, role: 'viewer' });
    const other = await t.store.accounts.createWorkspace('Oakland');
    await t.store.accounts.addMember(other.id, { email: 'sam@example.com', role: 'admin' });
    const stranger = await t.store.accounts.createWorkspace('Elsewhere');
    const s = await login('sam@example.com', password);

    const refused = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/switch',
      headers: { ...s, ...ORIGIN },
      payload: { workspaceId: stranger.id },
    });
    assert.equal(refused.statusCode, 403, refused.body);

    const r = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/switch',
      headers: { ...s, ...ORIGIN },
      payload: { workspaceId: other.id },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().role, 'admin');
    const next = `sb_session=${r.cookies.find((c) => c.name === 'sb_session')!.value}`;
    const me = await t.app.inject({ url: '/v1/auth/me', headers: { cookie: next } });
    assert.equal(me.json().workspaceId, other.id);
    assert.equal(me.json().role, 'admin');
    // The old session is gone.
    assert.equal((await t.app.inject({ url: '/v1/auth/me', headers: s })).statusCode, 401);
    // A key belongs to one workspace and cannot switch.
    const key = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/switch',
      headers: bearer(t.adminKey),
      payload: { workspaceId: other.id },
    });
    assert.equal(key.statusCode, 401);
    // A write from another site is refused like every cookie write.
    const cross = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/switch',
      headers: { cookie: next, origin: 'https://evil.example' },
      payload: { workspaceId: t.workspaceId },
    });
    assert.equal(cross.statusCode, 403);
  });

  test('stats count calls per hour and outcome, with the response-time percentiles of their turns', async () => {
    const base = { workspaceId: t.workspaceId, connector: 'sip', toNumber: '+14155550123' };
    const a = await t.store.calls.create({ ...base, direction: 'inbound', fromNumber: '+14155550101' });
    const b = await t.store.calls.create({ ...base, direction: 'inbound', fromNumber: '+14155550102' });
    await t.store.calls.setStatus(a.id, 'ended', { outcome: 'completed' });
    await t.store.calls.saveLatencies(a.id, [
      { turn: 1, callerStoppedMs: 1000, firstAudioSentMs: 1400 },
      { turn: 2, callerStoppedMs: 5000, firstAudioSentMs: 5800 },
      { turn: 3, callerStoppedMs: null, firstAudioSentMs: 9000 },
    ]);
    const r = await t.app.inject({ url: '/v1/calls/stats', headers: bearer(t.adminKey) });
    assert.equal(r.statusCode, 200, r.body);
    const s = r.json();
    assert.equal(
      s.perHour.reduce((n: number, h: { count: number }) => n + h.count, 0),
      2,
    );
    assert.deepEqual(
      Object.fromEntries(
        s.outcomes.map((o: { outcome: string | null; count: number }) => [o.outcome, o.count]),
      ),
      { completed: 1, null: 1 },
    );
    // Two turns have both marks: 400 and 800 ms.
    assert.equal(s.responseMs.turns, 2);
    assert.equal(s.responseMs.p50, 600);
    assert.equal(s.responseMs.p95, 780);
    const empty = await t.app.inject({
      url: '/v1/calls/stats?since=2020-01-01T00:00:00.000Z&until=2020-01-02T00:00:00.000Z',
      headers: bearer(t.adminKey),
    });
    assert.deepEqual(empty.json().responseMs, { turns: 0, p50: null, p95: null });
    const tooLong = await t.app.inject({
      url: '/v1/calls/stats?since=2020-01-01T00:00:00.000Z&until=2020-03-01T00:00:00.000Z',
      headers: bearer(t.adminKey),
    });
    assert.equal(tooLong.statusCode, 400);
    assert.equal(tooLong.json().error.details[0].path, 'querystring.since');

    const byNumber = await t.app.inject({
      url: `/v1/calls?number=${encodeURIComponent('+14155550102')}`,
      headers: bearer(t.adminKey),
    });
    assert.deepEqual(
      byNumber.json().data.map((c: { id: string }) => c.id),
      [b.id],
    );
    const called = await t.app.inject({
      url: `/v1/calls?number=${encodeURIComponent('+14155550123')}`,
      headers: bearer(t.adminKey),
    });
    assert.equal(called.json().data.length, 2);
  });

  test('deliveries filter by call', async () => {
    const r = await t.app.inject({
      url: '/v1/deliveries?callId=00000000-0000-4000-8000-000000000000',
      headers: bearer(t.adminKey),
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().data, []);
    const bad = await t.app.inject({ url: '/v1/deliveries?callId=nope', headers: bearer(t.adminKey) });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details[0].path, 'querystring.callId');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeHome } from '@switchboard/integrations/testing';
import { bearer, createTestApp, type TestApp } from '../testing.js';

async function until<T>(what: string, check: () => Promise<T | undefined | false>) {
  for (let i = 0; i < 500; i++) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Home Assistant connection and registry push', () => {
  let t: TestApp;
  let home: FakeHome;
  let member: string;
  let viewer: string;
  before(async () => {
    t = await createTestApp();
    home = await FakeHome.start();
    member = (await t.store.apiKeys.create(t.workspaceId, { name: 'm', role: 'member' })).key;
    viewer = (await t.store.apiKeys.create(t.workspaceId, { name: 'v', role: 'viewer' })).key;
  });
  after(async () => {
    await t?.close();
    await home?.close();
  });

  const put = (key: string, payload: unknown) =>
    t.app.inject({
      method: 'PUT',
      url: '/v1/home-assistant',
      headers: bearer(key),
      payload: payload as object,
    });

  test('only admins connect; a failed check is a 422 naming the check and nothing is saved', async () => {
    const asMember = await put(member, { url: home.url, token: home.token });
    assert.equal(asMember.statusCode, 403, asMember.body);

    const wrongToken = await put(t.adminKey, { url: home.url, token: 'not-the-right-token-at-all' });
    assert.equal(wrongToken.statusCode, 422, wrongToken.body);
    assert.match(wrongToken.json().error.message, /check "auth" failed/);
    assert.equal(wrongToken.json().error.details[0].path, 'body.token');

    const nobody = await put(t.adminKey, { url: 'http://127.0.0.1:1', token: home.token });
    assert.equal(nobody.statusCode, 422, nobody.body);
    assert.match(nobody.json().error.message, /check "connect" failed/);
    assert.equal(nobody.json().error.details[0].path, 'body.url');

    home.refuseRegistry = true;
    const noAdmin = await put(t.adminKey, { url: home.url, token: home.token });
    home.refuseRegistry = false;
    assert.equal(noAdmin.statusCode, 422, noAdmin.body);
    assert.match(noAdmin.json().error.message, /check "registry" failed/);

    const lan = await put(t.adminKey, { url: 'http://192.168.1.20:8123', token: home.token });
    assert.equal(lan.statusCode, 422, lan.body);
    assert.match(lan.json().error.message, /check "url" failed: .*OUTBOUND_ALLOWED_HOSTS/);

    const badUrl = await put(t.adminKey, { url: 'ftp://ha.local', token: home.token });
    assert.equal(badUrl.statusCode, 400, badUrl.body);
    // Viewers read the URL back, so it may not carry a password.
    const withPassword = await put(t.adminKey, {
      url: home.url.replace('://', '://admin:hunter2@'),
      token: home.token,
    });
    assert.equal(withPassword.statusCode, 400, withPassword.body);
    assert.equal(withPassword.json().error.details[0].path, 'body.url');
    assert.match(withPassword.json().error.details[0].message, /user name or password/);
    const noToken = await put(t.adminKey, { url: home.url });
    assert.equal(noToken.statusCode, 400, noToken.body);
    assert.equal(noToken.json().error.details[0].path, 'body.token');

    const got = await t.app.inject({ method: 'GET', url: '/v1/home-assistant', headers: bearer(viewer) });
    assert.equal(got.statusCode, 404, got.body);
  });

  test('a saved connection syncs; the token is never returned; viewers read, members cannot delete', async () => {
    const saved = await put(t.adminKey, { url: home.url, token: home.token, historyRetentionDays: 3 });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.ok(!saved.body.includes(home.token), 'the token is not in the answer');
    assert.equal(saved.json().maskedToken, `••••${home.token.slice(-4)}`);
    assert.equal(saved.json().historyRetentionDays, 3);

    const synced = await until('the sync', async () => {
      const r = await t.app.inject({ method: 'GET', url: '/v1/home-assistant', headers: bearer(viewer) });
      return r.json().status === 'connected' && r.json().counts.entities === 5 ? r : undefined;
    });
    assert.ok(!synced.body.includes(home.token));
    assert.deepEqual(synced.json().counts, { devices: 4, entities: 5, services: 12 });

    const lights = await t.app.inject({
      method: 'GET',
      url: '/v1/home-assistant/entities?domain=light',
      headers: bearer(viewer),
    });
    assert.deepEqual(
      lights.json().data.map((e: { entityId: string; state: string }) => [e.entityId, e.state]),
      [
        ['light.kitchen', 'on'],
        ['light.living_room', 'off'],
      ],
    );
    const badDomain = await t.app.inject({
      method: 'GET',
      url: '/v1/home-assistant/entities?domain=Not%20A%20Domain',
      headers: bearer(viewer),
    });
    assert.equal(badDomain.statusCode, 400);

    home.setState('light.kitchen', 'off');
    const history = await until('the change in the history', async () => {
      const r = await t.app.inject({
        method: 'GET',
        url: '/v1/home-assistant/entities/light.kitchen/history',
        headers: bearer(viewer),
      });
      return r.json().data.length > 0 ? r.json().data : undefined;
    });
    assert.equal(history.at(-1).state, 'off');
    const badId = await t.app.inject({
      method: 'GET',
      url: '/v1/home-assistant/entities/kitchen/history',
      headers: bearer(viewer),
    });
    assert.equal(badId.statusCode, 400);

    // Changing only the retention keeps the stored token.
    const again = await put(t.adminKey, { url: home.url, historyRetentionDays: 10 });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().historyRetentionDays, 10);

    const del = await t.app.inject({ method: 'DELETE', url: '/v1/home-assistant', headers: bearer(member) });
    assert.equal(del.statusCode, 403);
    const gone = await t.app.inject({
      method: 'DELETE',
      url: '/v1/home-assistant',
      headers: bearer(t.adminKey),
    });
    assert.equal(gone.statusCode, 204, gone.body);
    assert.deepEqual(await t.store.home.counts(t.workspaceId), { devices: 0, entities: 0, services: 0 });
  });

  describe('bulk_upsert', () => {
    const internal = (path: string, payload: unknown, workspaceId?: string) =>
      t.app.inject({
        method: 'POST',
        url: `/internal/${path}/bulk_upsert`,
        headers: {
          'x-internal-token': t.internalToken,
          ...(workspaceId ? { 'x-workspace-id': workspaceId } : {}),
        },
        payload: payload as object,
      });

    test('the internal token must name a workspace; user keys need the member role', async () => {
      const ws = (await t.store.accounts.createWorkspace('push')).id;
      const unnamed = await internal('devices', []);
      assert.equal(unnamed.statusCode, 400, unnamed.body);
      assert.equal(unnamed.json().error.details[0].path, 'headers.x-workspace-id');
      const unknown = await internal('devices', [], '6f1c1f0e-0000-4000-8000-000000000000');
      assert.equal(unknown.statusCode, 404);
      const none = await t.app.inject({ method: 'POST', url: '/internal/devices/bulk_upsert', payload: [] });
      assert.equal(none.statusCode, 401);
      const asViewer = await t.app.inject({
        method: 'POST',
        url: '/internal/devices/bulk_upsert',
        headers: bearer(viewer),
        payload: [],
      });
      assert.equal(asViewer.statusCode, 403);
      const asMember = await t.app.inject({
        method: 'POST',
        url: '/internal/devices/bulk_upsert',
        headers: bearer(member),
        payload: [{ id: 'm1', name: 'Pushed by a key' }],
      });
      assert.equal(asMember.statusCode, 200, asMember.body);
      assert.equal(
        (await t.store.home.devices(t.workspaceId)).find((d) => d.id === 'm1')?.friendlyName,
        'Pushed by a key',
      );
      assert.equal((await t.store.home.devices(ws)).length, 0, 'a key writes to its own workspace only');
    });

    test('devices: children before parents are stored, unknown hubs become null, names are derived, twice is once', async () => {
      const ws = (await t.store.accounts.createWorkspace('push-devices')).id;
      const devices = [
        {
          id: 'child',
          name: null,
          name_by_user: null,
          manufacturer: 'Acme',
          model: 'Plug',
          via_device_id: 'hub',
        },
        { id: 'hub', name: 'Hub', via_device_id: null },
        { id: 'orphan', name: 'Orphan', via_device_id: 'nowhere' },
        { id: 'nameless' },
      ];
      const first = await internal('devices', devices, ws);
      assert.equal(first.statusCode, 200, first.body);
      assert.equal(first.json().success, true);
      assert.equal(first.json().upserted, 4);
      assert.ok(!Number.isNaN(Date.parse(first.json().timestamp)));
      const second = await internal('devices', devices, ws);
      assert.equal(second.json().upserted, 4);
      const stored = new Map((await t.store.home.devices(ws)).map((d) => [d.id, d]));
      assert.equal(stored.size, 4);
      assert.equal(stored.get('child')?.viaDeviceId, 'hub');
      assert.equal(stored.get('child')?.friendlyName, 'Acme Plug');
      assert.equal(stored.get('orphan')?.viaDeviceId, null);
      assert.equal(stored.get('nameless')?.friendlyName, 'Device nameless');

      const entities = await internal(
        'entities',
        [
          { entity_id: 'switch.plug', device_id: 'child', original_name: 'Plug' },
          { entity_id: 'light.kitchen_ceiling', device_id: 'ghost' },
        ],
        ws,
      );
      assert.equal(entities.statusCode, 200, entities.body);
      assert.equal((await t.store.home.entity(ws, 'switch.plug'))?.deviceId, 'child');
      const ceiling = await t.store.home.entity(ws, 'light.kitchen_ceiling');
      assert.equal(ceiling?.deviceId, null);
      assert.equal(ceiling?.friendlyName, 'Kitchen ceiling');

      const services = await internal(
        'services',
        { light: { turn_on: { name: 'Turn on' }, turn_off: {} } },
        ws,
      );
      assert.equal(services.json().upserted, 2);
      const states = await internal(
        'states',
        [{ entity_id: 'light.kitchen_ceiling', state: 'on', attributes: {} }],
        ws,
      );
      assert.equal(states.json().upserted, 1);
      assert.equal((await t.store.home.entity(ws, 'light.kitchen_ceiling'))?.state, 'on');
    });

    test('a bad record is a 400 naming it, and nothing of the batch is stored', async () => {
      const ws = (await t.store.accounts.createWorkspace('push-bad')).id;
      const r = await internal('devices', [{ id: 'ok' }, { name: 'no id' }], ws);
      assert.equal(r.statusCode, 400, r.body);
      assert.equal(r.json().error.details[0].path, 'body[1].id');
      assert.equal((await t.store.home.devices(ws)).length, 0);
      const e = await internal('entities', [{ entity_id: 'Not An Entity' }], ws);
      assert.equal(e.statusCode, 400);
      assert.equal(e.json().error.details[0].path, 'body[0].entity_id');
      const s = await internal('services', { light: 'turn_on' }, ws);
      assert.equal(s.statusCode, 400, s.body);
      const notArray = await internal('devices', { id: 'x' }, ws);
      assert.equal(notArray.statusCode, 400);
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { homeSchema, OutboundGuard, silentLogger } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { openTestStore, testBackends } from '@switchboard/store/testing';
import { HomeConnection } from './connection.js';
import { FakeHome } from './fake-home.js';
import { HaSocket } from './ha-socket.js';
import { HomeAssistant } from './home-assistant.js';
import { homeTools } from './tools.js';

const FAST = { maxRetries: Number.POSITIVE_INFINITY, baseDelayMs: 20, maxDelayMs: 100 };

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false) {
  for (let i = 0; i < 500; i++) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const backend of testBackends()) {
  describe(`Home Assistant sync over WebSocket (${backend})`, () => {
    let store: Store;
    let home: FakeHome;
    before(async () => {
      store = await openTestStore(backend);
      home = await FakeHome.start();
    });
    after(async () => {
      await home?.close();
      await store?.close();
    });

    const workspace = async () => (await store.accounts.createWorkspace(`ha-${Math.random()}`)).id;

    test('a wrong token is refused at the auth step, a right one answers commands', async () => {
      await assert.rejects(HaSocket.open({ url: home.url, token: 'wrong-token' }), { check: 'auth' });
      const socket = await HaSocket.open({ url: home.url, token: home.token });
      assert.equal(socket.haVersion, '2025.1.0');
      const states = await socket.command<unknown[]>({ type: 'get_states' });
      assert.equal(states.length, 5);
      await assert.rejects(socket.command({ type: 'no_such_command' }), { code: 'unknown_command' });
      socket.close();
    });

    test('the registries, services and states are synced, hubs before the devices behind them', async () => {
      const ws = await workspace();
      await store.home.saveConnection(ws, { url: home.url, token: home.token });
      const conn = new HomeConnection({
        workspaceId: ws,
        url: home.url,
        token: home.token,
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
      });
      const synced = conn.nextSync();
      conn.start();
      await synced;
      assert.deepEqual(await store.home.counts(ws), { devices: 4, entities: 5, services: 12 });
      const garage = (await store.home.devices(ws)).find((d) => d.id === 'garage01');
      assert.equal(garage?.viaDeviceId, 'hub01');
      const light = await store.home.entity(ws, 'light.kitchen');
      assert.equal(light?.state, 'on');
      assert.equal(light?.deviceId, 'lights01');
      assert.equal(light?.friendlyName, 'Kitchen lights');
      // Known from its state only, and named by it.
      assert.equal((await store.home.entity(ws, 'light.living_room'))?.friendlyName, 'Living room lamp');
      assert.equal((await store.home.connection(ws))?.status, 'connected');

      home.setState('cover.garage_door', 'open');
      await until(
        'the change',
        async () => (await store.home.entity(ws, 'cover.garage_door'))?.state === 'open',
      );
      const history = await store.home.history(ws, 'cover.garage_door');
      assert.deepEqual(
        history.map((h) => h.state),
        ['open'],
      );
      await conn.stop();
    });

    test('a disconnect in the middle of a sync is followed by a reconnect and a complete sync', async () => {
      const ws = await workspace();
      await store.home.saveConnection(ws, { url: home.url, token: home.token });
      home.dropAfterCommands = 2;
      const before = home.connections;
      const conn = new HomeConnection({
        workspaceId: ws,
        url: home.url,
        token: home.token,
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
      });
      const synced = conn.nextSync();
      conn.start();
      await synced;
      assert.ok(home.connections >= before + 2, 'connected again after the drop');
      assert.deepEqual(await store.home.counts(ws), { devices: 4, entities: 5, services: 12 });

      // A drop after the sync: the client reconnects, syncs again and follows changes again.
      const again = conn.nextSync();
      home.dropConnections();
      await again;
      home.setState('light.kitchen', 'off');
      await until(
        'the change after reconnecting',
        async () => (await store.home.entity(ws, 'light.kitchen'))?.state === 'off',
      );
      await conn.stop();
    });

    test('entities and devices Home Assistant removed are removed on the next sync', async () => {
      const ws = await workspace();
      const ha = await FakeHome.start();
      const conn = new HomeConnection({
        workspaceId: ws,
        url: ha.url,
        token: ha.token,
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
      });
      const first = conn.nextSync();
      conn.start();
      await first;
      ha.devices = ha.devices.filter((d) => d.id !== 'hub01');
      ha.entities = ha.entities.filter((e) => e.entity_id !== 'sensor.living_room_temperature');
      const second = conn.nextSync();
      ha.dropConnections();
      await second;
      const devices = await store.home.devices(ws);
      assert.deepEqual(devices.map((d) => d.id).sort(), ['garage01', 'lights01', 'lock01']);
      assert.ok(
        devices.every((d) => d.viaDeviceId === null),
        'references to the removed hub are cleared',
      );
      await conn.stop();
      await ha.close();
    });

    test('a record Home Assistant sends without its id is left out, and the rest is synced', async () => {
      const ws = await workspace();
      const ha = await FakeHome.start();
      ha.entities = [...ha.entities, { name: 'no entity id' }, 'not an object' as never];
      const conn = new HomeConnection({
        workspaceId: ws,
        url: ha.url,
        token: ha.token,
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
      });
      const synced = conn.nextSync();
      conn.start();
      await synced;
      assert.deepEqual(conn.lastSync, { devices: 4, entities: 4, services: 12, states: 5 });
      await conn.stop();
      await ha.close();
    });

    test('a sync Home Assistant refuses is reported as the error, and retried', async () => {
      const ws = await workspace();
      const ha = await FakeHome.start({ refuseRegistry: true });
      await store.home.saveConnection(ws, { url: ha.url, token: ha.token });
      const conn = new HomeConnection({
        workspaceId: ws,
        url: ha.url,
        token: ha.token,
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
      });
      conn.start();
      const failed = await until('the error', async () => {
        const c = await store.home.connection(ws);
        return c?.status === 'error' ? c : undefined;
      });
      assert.match(failed.lastError ?? '', /^sync failed: Unauthorized/);
      const synced = conn.nextSync();
      ha.refuseRegistry = false;
      await synced;
      assert.equal((await store.home.connection(ws))?.status, 'connected');
      await conn.stop();
      await ha.close();
    });

    test('a connection that stops answering pings is dropped and made again', async () => {
      const ws = await workspace();
      const ha = await FakeHome.start();
      const conn = new HomeConnection({
        workspaceId: ws,
        url: ha.url,
        token: ha.token,
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
        pingEveryMs: 50,
        timeoutMs: 200,
      });
      const first = conn.nextSync();
      conn.start();
      await first;
      const again = conn.nextSync();
      // Pings were already answered before this point: wait for one sent while silent.
      const pings = () => ha.commands.filter((c) => c === 'ping').length;
      const answered = pings();
      ha.silent = true;
      await until('a ping to go unanswered', () => pings() > answered);
      ha.silent = false;
      await again;
      assert.ok(ha.connections >= 2);
      await conn.stop();
      await ha.close();
    });

    test('tools read and act only within the allow-list, and risky services wait for a confirmation', async () => {
      const ws = await workspace();
      await store.home.saveConnection(ws, { url: home.url, token: home.token });
      const ha = new HomeAssistant({
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
        pruneEveryMs: 0,
      });
      await ha.connect(ws);
      await until('connected', () => ha.connection(ws)?.status === 'connected');
      const tools = homeTools({
        workspaceId: ws,
        config: homeSchema.parse({
          enabled: true,
          domains: ['light', 'cover'],
          entities: ['lock.front_door'],
        }),
        repo: store.home,
        gateway: ha,
      });
      const run = (name: string, args: Record<string, unknown>) =>
        tools.find((t) => t.definition.name === name)!.run(args, new AbortController().signal);

      const garage = (await run('home_get_state', { entity: 'garage door' })) as {
        state: string;
        entity_id: string;
      };
      assert.equal(garage.entity_id, 'cover.garage_door');
      const listed = (await run('home_list', {})) as { entities: { entity_id: string }[] };
      assert.deepEqual(
        listed.entities.map((e) => e.entity_id),
        ['cover.garage_door', 'light.kitchen', 'light.living_room', 'lock.front_door'],
      );
      await assert.rejects(run('home_get_state', { entity: 'sensor.living_room_temperature' }), /may use/);

      const calls = home.serviceCalls.length;
      const done = (await run('home_call_service', { entity: 'light.kitchen', service: 'turn_off' })) as {
        done: boolean;
      };
      assert.equal(done.done, true);
      assert.deepEqual(home.serviceCalls.at(-1), {
        via: 'websocket',
        domain: 'light',
        service: 'turn_off',
        data: {},
        target: { entity_id: 'light.kitchen' },
      });

      // Unlocking: first a read-back, and `confirmed` without one does not count.
      const ask = (await run('home_call_service', {
        entity: 'front door',
        service: 'unlock',
        confirmed: true,
      })) as {
        needs_confirmation: boolean;
        say: string;
      };
      assert.equal(ask.needs_confirmation, true);
      assert.match(ask.say, /unlock the Front door/);
      assert.equal(home.serviceCalls.length, calls + 1, 'nothing ran before the confirmation');
      await run('home_call_service', { entity: 'front door', service: 'unlock', confirmed: true });
      assert.equal(home.state('lock.front_door')?.state, 'unlocked');
      await assert.rejects(
        run('home_call_service', { entity: 'light.kitchen', service: 'explode' }),
        /no service explode/,
      );

      // With the socket down, a service still runs over the REST API.
      await ha.disconnect(ws);
      await run('home_call_service', { entity: 'light.kitchen', service: 'turn_on' });
      assert.equal(home.serviceCalls.at(-1)?.via, 'rest');
      await ha.stop();
    });

    test('saving or deleting settings in one process restarts or stops the connection in the others', async () => {
      const ws = await workspace();
      const opts = {
        repo: store.home,
        logger: silentLogger(),
        reconnect: FAST,
        pruneEveryMs: 0,
        database: store.database,
      };
      const a = new HomeAssistant(opts);
      const b = new HomeAssistant(opts);
      await a.start();
      await b.start();
      await store.home.saveConnection(ws, { url: home.url, token: home.token });
      await a.changed(ws);
      await until('the other process to connect', () => b.connection(ws)?.status === 'connected');
      assert.equal(a.connection(ws)?.status !== undefined, true);
      await store.home.deleteConnection(ws);
      await a.changed(ws);
      await until('the other process to stop', () => b.connection(ws) === undefined);
      assert.equal(a.connection(ws), undefined);
      await a.stop();
      await b.stop();
    });

    test('saving checks report which step failed', async () => {
      const ha = new HomeAssistant({
        repo: store.home,
        logger: silentLogger(),
        pruneEveryMs: 0,
        timeoutMs: 2000,
      });
      assert.deepEqual(await ha.validate('not a url', 'x'), {
        ok: false,
        check: 'url',
        message: '"not a url" is not a URL; expected e.g. http://homeassistant.local:8123',
      });
      assert.equal(
        ((await ha.validate('http://127.0.0.1:1', home.token)) as { check: string }).check,
        'connect',
      );
      assert.equal(((await ha.validate(home.url, 'wrong')) as { check: string }).check, 'auth');
      home.refuseRegistry = true;
      const noRegistry = await ha.validate(home.url, home.token);
      home.refuseRegistry = false;
      assert.equal((noRegistry as { check: string }).check, 'registry');
      const closed = new HomeAssistant({
        repo: store.home,
        logger: silentLogger(),
        pruneEveryMs: 0,
        guard: new OutboundGuard({ allowPrivateNetworks: false, allowedHosts: [] }),
      });
      const refused = await closed.validate('http://10.1.2.3:8123', home.token);
      assert.equal((refused as { check: string }).check, 'url');
      assert.match((refused as { message: string }).message, /OUTBOUND_ALLOWED_HOSTS/);
      const loopback = await closed.validate(home.url, home.token);
      assert.equal((loopback as { check: string }).check, 'url');
      const ok = await ha.validate(home.url, home.token);
      assert.deepEqual(ok, { ok: true, haVersion: '2025.1.0', devices: 4, entities: 4, services: 12 });
    });

    test('state history older than the retention is pruned', async () => {
      const ws = await workspace();
      await store.home.saveConnection(ws, { url: home.url, token: home.token, historyRetentionDays: 2 });
      const day = 24 * 3600_000;
      const now = Date.now();
      await store.home.setStates(
        ws,
        [
          { entityId: 'light.a', state: 'on', attributes: {}, lastChanged: new Date(now - 3 * day) },
          { entityId: 'light.b', state: 'on', attributes: {}, lastChanged: new Date(now - day) },
        ],
        { history: true },
      );
      await store.home.pruneHistory(new Date(now));
      assert.equal(await store.home.historyCount(ws), 1);
      assert.equal((await store.home.history(ws, 'light.b')).length, 1);
    });
  });
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Store } from '../store.js';
import { openTestStore, testBackends } from '../testing.js';
import { type HaDeviceInput, parentsFirst } from './home.js';

const device = (id: string, via: string | null): HaDeviceInput => ({
  id,
  friendlyName: id,
  name: id,
  nameByUser: null,
  manufacturer: null,
  model: null,
  swVersion: null,
  areaId: null,
  viaDeviceId: via,
  disabledBy: null,
  raw: { id, via_device_id: via },
});

test('hubs come before the devices behind them, and a cycle does not loop', () => {
  const order = parentsFirst([
    device('c', 'b'),
    device('b', 'a'),
    device('a', null),
    device('x', 'y'),
    device('y', 'x'),
  ]);
  assert.deepEqual(
    order.map((d) => d.id),
    ['a', 'b', 'c', 'y', 'x'],
  );
});

for (const backend of testBackends()) {
  describe(`Home Assistant registry store (${backend})`, () => {
    let store: Store;
    before(async () => {
      store = await openTestStore(backend);
    });
    after(async () => {
      await store?.close();
    });

    test('a chain of hubs longer than one insert, children listed first, keeps every reference', async () => {
      const ws = (await store.accounts.createWorkspace('chain')).id;
      const n = 1300;
      // d0 behind d1 behind d2 … : every device's hub comes later in the list.
      const devices = Array.from({ length: n }, (_, i) => device(`d${i}`, i + 1 < n ? `d${i + 1}` : null));
      assert.equal(await store.home.upsertDevices(ws, devices), n);
      assert.equal(await store.home.devicesWithHub(ws), n - 1);
      assert.equal(await store.home.upsertDevices(ws, devices), n, 'again: the same rows');
      assert.equal((await store.home.counts(ws)).devices, n);
    });

    test('a hub in another workspace is not a hub here', async () => {
      const a = (await store.accounts.createWorkspace('a')).id;
      const b = (await store.accounts.createWorkspace('b')).id;
      await store.home.upsertDevices(a, [device('hub', null)]);
      await store.home.upsertDevices(b, [device('plug', 'hub')]);
      assert.equal((await store.home.devices(b))[0]?.viaDeviceId, null);
    });

    test('the token is sealed: the stored ciphertext is not the token, and answers show it masked', async () => {
      const ws = (await store.accounts.createWorkspace('sealed')).id;
      const token = 'eyJhbGciOiJIUzI1NiJ9.long-lived-token-for-the-test';
      const view = await store.home.saveConnection(ws, { url: 'http://ha.example:8123', token });
      assert.ok(!JSON.stringify(view).includes(token));
      assert.equal(view.maskedToken, `••••${token.slice(-4)}`);
      assert.equal((await store.home.reveal(ws))?.token, token);
      const rows = await store.database.db.execute(
        sql`select ciphertext from ha_connections where workspace_id = ${ws}`,
      );
      const stored = (rows as unknown as { rows: { ciphertext: string }[] }).rows[0]!.ciphertext;
      assert.ok(!stored.includes(token));
    });
  });
}

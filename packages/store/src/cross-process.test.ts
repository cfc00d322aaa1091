import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase } from './database.js';
import { type ResolverChild, startResolverChild } from './fixtures/child.js';
import { SecretBox } from './secrets.js';
import { createStore, type Store } from './store.js';
import { createTestPostgresDatabase, TEST_MASTER_KEY, testPostgresUrl } from './testing.js';

// PGlite is one process by design (the data-dir lock refuses a second); across processes means PostgreSQL.
describe('publish in one process, resolve in another (PostgreSQL)', {
  skip: !testPostgresUrl() && 'needs PostgreSQL: set DATABASE_URL=postgres://user@127.0.0.1:5432/db',
}, () => {
  let store: Store;
  let child: ResolverChild;
  let drop: () => Promise<void>;

  before(async () => {
    const db = await createTestPostgresDatabase();
    drop = db.drop;
    const database = await openDatabase({ url: db.url, poolSize: 3 });
    await database.migrate();
    store = createStore(database, new SecretBox(TEST_MASTER_KEY));
    await store.resolver.start();
    child = await startResolverChild(db.url);
  });
  after(async () => {
    await child?.stop();
    await store?.close();
    await drop?.();
  });

  test('the other process sees each new version without polling', async () => {
    const ws = (await store.accounts.createWorkspace('X')).id;
    const a = await store.agents.create(ws, { name: 'Shared', config: { greeting: 'one' }, publish: true });
    child.send(`resolve ${a.id}`);
    const first = await child.next<{ version: number; greeting: string }>((m) => m.type === 'resolved');
    assert.deepEqual([first.version, first.greeting], [1, 'one']);

    for (const [i, greeting] of ['two', 'three'].entries()) {
      await store.agents.update(ws, a.id, { config: { greeting } });
      // The notice this publish causes, not one still queued from creating the agent.
      const since = Date.now();
      const seen = child.next(
        (m) => m.type === 'invalidated' && m.agentId === a.id && (m.at as number) >= since,
      );
      await store.agents.publish(ws, a.id);
      await seen;
      child.send(`resolve ${a.id}`);
      const r = await child.next<{ version: number; greeting: string }>((m) => m.type === 'resolved');
      assert.deepEqual([r.version, r.greeting], [i + 2, greeting]);
    }
  });
});

describe('the embedded database serves one process', () => {
  test('a second open of the same data directory is refused with a clear message', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'sb-lock-'));
    const first = await openDatabase({ dataDir: dir });
    try {
      const script = `import { openDatabase } from '@switchboard/store'; await openDatabase({ dataDir: ${JSON.stringify(dir)} });`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
        cwd: process.cwd(),
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /already open in process \d+/);
      assert.match(r.stderr, /DATABASE_URL/);
    } finally {
      await first.close();
    }
  });
});

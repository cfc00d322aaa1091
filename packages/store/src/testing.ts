import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, pgliteTemplate } from './database.js';
import { SecretBox } from './secrets.js';
import { createStore, type Store } from './store.js';

/**
 * Test databases on both backends. PGlite ones are unpacked from the migrated template
 * (`pgliteTemplate`), as a new data directory is; PostgreSQL gets a fresh database per store,
 * dropped on close.
 */
export type Backend = 'pglite' | 'postgres';

/** The PostgreSQL URL tests may use, when CI or a developer provides one. */
export const testPostgresUrl = (): string | undefined =>
  process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;

/** Backends to run repository suites on: PGlite always, PostgreSQL when a server is configured. */
export const testBackends = (): Backend[] => (testPostgresUrl() ? ['pglite', 'postgres'] : ['pglite']);

export const TEST_MASTER_KEY = Buffer.alloc(32, 7);

export async function openTestStore(backend: Backend = 'pglite'): Promise<Store> {
  if (backend === 'pglite') {
    const database = await openDatabase({ loadDataDir: await pgliteTemplate() });
    await database.migrate();
    const store = createStore(database, new SecretBox(TEST_MASTER_KEY));
    await store.resolver.start();
    return store;
  }
  const { url, drop } = await createTestPostgresDatabase();
  const database = await openDatabase({ url, poolSize: 5 });
  await database.migrate();
  const store = createStore(database, new SecretBox(TEST_MASTER_KEY));
  await store.resolver.start();
  const close = store.close;
  store.close = async () => {
    await close();
    await drop();
  };
  return store;
}

/** A fresh, empty database on the configured server; `drop()` removes it. */
export async function createTestPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = testPostgresUrl();
  if (!base) throw new Error('TEST_DATABASE_URL or DATABASE_URL must point at a PostgreSQL server');
  const name = `sb_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

import assert from 'node:assert/strict';
import { createServer, type Server, Socket } from 'node:net';
import { test } from 'node:test';
import { createStore, isDatabaseUnavailable, openDatabase, SecretBox } from '@switchboard/store';
import { createTestPostgresDatabase, TEST_MASTER_KEY, testPostgresUrl } from '@switchboard/store/testing';
import { bearer, createTestApp, type TestApp } from './testing.js';

/** A TCP relay in front of PostgreSQL that can be cut, as a network or server outage does. */
class Relay {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;
  constructor(readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Drops every open connection and refuses new ones. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }
}

const pgUrl = testPostgresUrl();

test('connection failures are recognised as an outage, other errors are not', () => {
  assert.ok(
    isDatabaseUnavailable(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ),
  );
  assert.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')));
  assert.ok(
    isDatabaseUnavailable(
      new Error('Failed query: select 1', {
        cause: Object.assign(new Error('terminating connection due to administrator command'), {
          code: '57P01',
        }),
      }),
    ),
  );
  assert.ok(
    isDatabaseUnavailable(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })])),
  );
  assert.equal(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' })), false);
  assert.equal(isDatabaseUnavailable(new Error('something else')), false);
});

test('a database outage answers 503 with Retry-After, and the API recovers without a restart', {
  skip: pgUrl ? false : 'needs PostgreSQL: set DATABASE_URL=postgres://user@127.0.0.1:5432/db',
}, async (t) => {
  const db = await createTestPostgresDatabase();
  const target = new URL(db.url);
  const relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
  await relay.up();
  const viaRelay = new URL(db.url);
  viaRelay.host = `127.0.0.1:${relay.port}`;
  const database = await openDatabase({ url: viaRelay.toString(), poolSize: 2 });
  await database.migrate();
  const store = createStore(database, new SecretBox(TEST_MASTER_KEY));
  await store.resolver.start();
  const app: TestApp = await createTestApp({ store });
  t.after(async () => {
    await app.close();
    await relay.down();
    await db.drop();
  });
  const list = () => app.app.inject({ url: '/v1/agents', headers: bearer(app.adminKey) });
  assert.equal((await list()).statusCode, 200);

  await relay.down();
  const during = await list();
  assert.equal(during.statusCode, 503, during.body);
  assert.equal(during.headers['retry-after'], '5');
  assert.equal(during.json().error.code, 'unavailable');
  const write = await app.app.inject({
    method: 'POST',
    url: '/v1/agents',
    headers: bearer(app.adminKey),
    payload: { name: 'During the outage' },
  });
  assert.equal(write.statusCode, 503, write.body);

  await relay.up();
  let after = await list();
  for (let i = 0; i < 50 && after.statusCode !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await list();
  }
  assert.equal(after.statusCode, 200, 'the pool reconnects by itself');
  assert.ok(
    !app.logs.some((l) => /"level":"error"/.test(l) && /request failed/.test(l)),
    'logged as an outage, not a failure',
  );
});

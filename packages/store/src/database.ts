import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Logger } from '@switchboard/core';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema.js';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type NotifyHandler = (payload: string) => void;

export const MIGRATIONS_DIR = fileURLToPath(new URL('../drizzle', import.meta.url));

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** Subscribes to a NOTIFY channel (lower-case names only); resolves once listening. */
  listen(channel: string, handler: NotifyHandler): Promise<() => Promise<void>>;
  /** Sends a NOTIFY now (outside any transaction); listeners in every process get it after commit. */
  notify(channel: string, payload: string): Promise<void>;
  /** Called after the notification connection was re-established: notifications may have been missed. */
  onReconnect(handler: () => void): () => void;
  migrate(): Promise<void>;
  /** Applied migration count and whether all shipped migrations are applied. */
  migrationState(): Promise<{ applied: number; expected: number }>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The underlying PGlite instance, for subsystems (pg-boss) that share it. */
  readonly pglite?: PGlite;
  readonly pool?: pg.Pool;
}

export interface OpenOptions {
  /** PostgreSQL URL; without it an embedded PGlite database is used. */
  url?: string | undefined;
  /** PGlite data directory; `memory://` for a throwaway in-memory database. */
  dataDir?: string;
  /** A PGlite data dump (from `dumpDataDir`) to start from: much faster than initdb for tests. */
  loadDataDir?: Blob | File;
  poolSize?: number;
  logger?: Logger;
}

const expectedMigrations = (): number => {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
};

async function countApplied(query: (sql: string) => Promise<{ rows: unknown[] }>): Promise<number> {
  try {
    const r = await query('select count(*)::int as n from drizzle.__drizzle_migrations');
    return (r.rows[0] as { n: number }).n;
  } catch {
    return 0;
  }
}

/** PGlite's version and the shipped migrations, which together decide what a template holds. */
function templateKey(): string {
  const pgliteDir = dirname(
    dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite/pglite.wasm')),
  );
  const h = createHash('sha256').update(readFileSync(join(pgliteDir, 'package.json')));
  for (const f of readdirSync(MIGRATIONS_DIR).sort()) {
    if (f.endsWith('.sql')) h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * pgvector, for the knowledge bases' vector search (migration 0013 creates it). Loaded into every
 * PGlite instance, since a data directory that has the extension cannot be opened without it.
 */
const PGLITE_EXTENSIONS = { vector };

let templatePromise: Promise<Blob> | undefined;

/**
 * An empty, fully migrated PGlite data directory as a gzip tarball. initdb and the migrations take
 * seconds of CPU; a new data directory (a first start, every test store) is unpacked from this
 * instead. Made once per PGlite version and migration set, kept in the OS temporary folder
 * (written to a temporary name and renamed, so processes racing to make it never read half a
 * file).
 */
export function pgliteTemplate(): Promise<Blob> {
  templatePromise ??= (async () => {
    const dir = join(tmpdir(), 'switchboard-pglite');
    const file = join(dir, `template-${templateKey()}.tar.gz`);
    if (existsSync(file)) return new Blob([readFileSync(file)]);
    const pgl = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
    await migratePglite(drizzlePglite(pgl), { migrationsFolder: MIGRATIONS_DIR });
    const dump = await pgl.dumpDataDir('gzip');
    await pgl.close();
    try {
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
      renameSync(tmp, file);
    } catch {
      // A read-only temporary folder only means the next new data directory runs initdb again.
    }
    return dump;
  })();
  templatePromise.catch(() => {
    templatePromise = undefined;
  });
  return templatePromise;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  return options.url ? openPostgres(options.url, options) : openPglite(options);
}

async function openPglite(options: OpenOptions): Promise<Database> {
  const dir = options.dataDir ?? 'memory://';
  let releaseLock = () => {};
  let dataDir: string | undefined;
  if (!dir.startsWith('memory://')) {
    dataDir = resolve(dir, 'pglite');
    mkdirSync(dataDir, { recursive: true });
    releaseLock = acquireDirLock(resolve(dir, 'pglite.lock'));
  }
  let pglite: PGlite;
  try {
    // A new data directory starts from the migrated template rather than from initdb.
    const loadDataDir =
      options.loadDataDir ??
      (dataDir && !existsSync(join(dataDir, 'PG_VERSION')) ? await pgliteTemplate() : undefined);
    pglite = await PGlite.create({
      extensions: PGLITE_EXTENSIONS,
      ...(dataDir ? { dataDir } : {}),
      ...(loadDataDir ? { loadDataDir } : {}),
    });
  } catch (e) {
    releaseLock();
    throw e;
  }
  const db = drizzlePglite(pglite, { schema }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    pglite,
    async listen(channel, handler) {
      const unsub = await pglite.listen(channel, handler);
      return async () => unsub();
    },
    async notify(channel, payload) {
      await pglite.query('select pg_notify($1, $2)', [channel, payload]);
    },
    // A single embedded connection never reconnects.
    onReconnect: () => () => {},
    async migrate() {
      await migratePglite(drizzlePglite(pglite), { migrationsFolder: MIGRATIONS_DIR });
    },
    async migrationState() {
      return { applied: await countApplied((q) => pglite.query(q)), expected: expectedMigrations() };
    },
    async ping() {
      await pglite.query('select 1');
    },
    async close() {
      try {
        await pglite.close();
      } finally {
        releaseLock();
      }
    },
  };
}

/**
 * PGlite is one process, one connection: a second process opening the same directory loses
 * writes silently. The lock file turns that into a clear start-up error.
 */
function acquireDirLock(path: string): () => void {
  if (existsSync(path)) {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `The embedded database in ${path.replace(/pglite\.lock$/, '')} is already open in process ${pid}. ` +
          'PGlite serves one process only: stop that process, use another DATA_DIR, or set DATABASE_URL to ' +
          'a PostgreSQL server to run several processes.',
      );
    }
  }
  const fd = openSync(path, 'w', 0o600);
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return () => rmSync(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  pool.on('error', (err) => options.logger?.warn({ err }, 'idle database connection failed'));
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const listener = new NotificationListener(url, options.logger);
  return {
    kind: 'postgres',
    db,
    pool,
    listen: (channel, handler) => listener.listen(channel, handler),
    async notify(channel, payload) {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
    onReconnect: (h) => listener.onReconnect(h),
    async migrate() {
      await migratePg(drizzlePg(pool), { migrationsFolder: MIGRATIONS_DIR });
    },
    async migrationState() {
      return { applied: await countApplied((q) => pool.query(q)), expected: expectedMigrations() };
    },
    async ping() {
      await pool.query('select 1');
    },
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

/**
 * One dedicated connection for LISTEN (a pooled one would be handed to other queries).
 * Reconnects with backoff; after a reconnect, subscribers are told notifications may be lost.
 */
class NotificationListener {
  private client: pg.Client | undefined;
  private connecting: Promise<pg.Client> | undefined;
  private readonly handlers = new Map<string, Set<NotifyHandler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly logger?: Logger,
  ) {}

  async listen(channel: string, handler: NotifyHandler): Promise<() => Promise<void>> {
    if (channel !== channel.toLowerCase()) throw new Error(`channel names must be lower case: ${channel}`);
    let set = this.handlers.get(channel);
    const isNew = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    const client = await this.connect();
    if (isNew) await client.query(`LISTEN ${quoteIdent(channel)}`);
    return async () => {
      set.delete(handler);
      if (set.size === 0) {
        this.handlers.delete(channel);
        await this.client?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
      }
    };
  }

  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url });
      client.on('notification', (n) => {
        for (const h of this.handlers.get(n.channel) ?? []) h(n.payload ?? '');
      });
      client.on('error', (err) => {
        this.logger?.warn({ err }, 'database notification connection lost');
        this.drop(client);
      });
      client.on('end', () => this.drop(client));
      try {
        await client.connect();
      } catch (e) {
        this.connecting = undefined;
        throw e;
      }
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
      this.client = client;
      this.connecting = undefined;
      return client;
    })();
    return this.connecting;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    if (!this.closed) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = Math.min(30_000, 250 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          this.attempt = 0;
          this.logger?.info('database notification connection restored');
          for (const h of this.reconnectHandlers) h();
        },
        () => this.scheduleReconnect(),
      );
    }, delay);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => {});
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

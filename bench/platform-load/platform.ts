/**
 * The platform under test, started as a user starts it: the production start
 * (`node --conditions=switchboard-dist scripts/start.mjs start`, compiled to dist/ when stale) in a
 * process of its own, optionally pinned to one core, on PostgreSQL (a fresh database) or the
 * embedded PGlite (a fresh DATA_DIR), with AudioSocket on. Then provisioned over the REST API as
 * an owner would: log in, create an API key, add the echo connector as an `avr-sts` provider and
 * make it the default inbound agent's speech-to-speech provider, recording on.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const root = new URL('../..', import.meta.url).pathname;
const OWNER = { email: 'bench@example.com', password: 'bench-password-123' };

export interface PlatformOptions {
  db: 'postgres' | 'pglite';
  /** postgres://user@host:port (no database): a fresh database is created on it. */
  postgresUrl: string;
  httpPort: number;
  audioSocketPort: number;
  /** Built-in SIP on this UDP port (RTP on 30000–31999), for the sip transport; unset: SIP off. */
  sipPort?: number;
  /** Loopback host:port of the echo connector, allowed as an outbound target. */
  echoHost: string;
  /** `taskset -c <core>` when set. */
  core: number | undefined;
  /** Directory for `--cpu-prof` output; unset runs without the profiler. */
  cpuProfDir: string | undefined;
  /** Directory for heap snapshots written on SIGUSR2; unset disables them. */
  heapDir: string | undefined;
  /** A database (and data directory) shared with other processes, kept when this one stops. */
  shared?: { databaseUrl: string; dataDir: string };
  /** RTP ports of the built-in SIP endpoint (default 30000–31999). */
  rtpRange?: [number, number];
  /** More environment (REDIS_URL, MASTER_KEY…). */
  env?: Record<string, string>;
}

export class Platform {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #dataDir: string;
  readonly #dropDb: (() => Promise<void>) | undefined;
  #log = '';
  apiKey = '';

  private constructor(url: string, child: ChildProcess, dataDir: string, dropDb?: () => Promise<void>) {
    this.url = url;
    this.#child = child;
    this.#dataDir = dataDir;
    this.#dropDb = dropDb;
    const keep = (d: Buffer) => {
      this.#log = (this.#log + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** The last lines the platform wrote (for a failure report). */
  get log(): string {
    return this.#log;
  }

  static async start(o: PlatformOptions): Promise<Platform> {
    const dataDir = o.shared ? '' : mkdtempSync(join(tmpdir(), 'sb-platform-load-'));
    let databaseUrl = o.shared?.databaseUrl ?? '';
    let dropDb: (() => Promise<void>) | undefined;
    if (o.db === 'postgres' && !o.shared) {
      const name = `sb_platform_load_${process.pid}_${Date.now()}`;
      const admin = new pg.Client({ connectionString: `${o.postgresUrl}/postgres` });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      databaseUrl = `${o.postgresUrl}/${name}`;
      dropDb = async () => {
        const c = new pg.Client({ connectionString: `${o.postgresUrl}/postgres` });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      };
    }
    const url = `http://127.0.0.1:${o.httpPort}`;
    const nodeArgs = ['--conditions=switchboard-dist'];
    if (o.cpuProfDir) {
      mkdirSync(o.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
    }
    if (o.heapDir) {
      mkdirSync(o.heapDir, { recursive: true });
      nodeArgs.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${o.heapDir}`);
    }
    const cmd = [process.execPath, ...nodeArgs, 'scripts/start.mjs', 'start'];
    const pinned = o.core !== undefined && hasTaskset();
    const child = spawn(
      pinned ? 'taskset' : (cmd[0] as string),
      pinned ? ['-c', String(o.core), ...cmd] : cmd.slice(1),
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          HOST: '127.0.0.1',
          PORT: String(o.httpPort),
          PUBLIC_URL: url,
          DATA_DIR: o.shared?.dataDir ?? join(dataDir, 'data'),
          DATABASE_URL: databaseUrl,
          OWNER_EMAIL: OWNER.email,
          OWNER_PASSWORD: OWNER.password,
          INTERNAL_TOKEN: 'platform-load-internal-token-0123456789',
          ...(o.sipPort
            ? {
                SIP_ENABLED: 'true',
                SIP_HOST: '127.0.0.1',
                SIP_PORT: String(o.sipPort),
                RTP_PORT_MIN: String(o.rtpRange?.[0] ?? 30000),
                RTP_PORT_MAX: String(o.rtpRange?.[1] ?? 31999),
              }
            : { SIP_ENABLED: 'false' }),
          AUDIOSOCKET_ENABLED: 'true',
          AUDIOSOCKET_HOST: '127.0.0.1',
          AUDIOSOCKET_PORT: String(o.audioSocketPort),
          OUTBOUND_ALLOWED_HOSTS: o.echoHost,
          RATE_LIMIT_PER_MINUTE: '100000',
          ...o.env,
        },
      },
    );
    const p = new Platform(url, child, dataDir, dropDb);
    try {
      await p.#waitReady();
      await p.#provisionKey();
    } catch (e) {
      await p.stop();
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${p.log}`);
    }
    return p;
  }

  /** Adds the echo connector as an avr-sts provider and makes it answer inbound calls. */
  async useEchoProvider(echoUrl: string): Promise<void> {
    const provider = await this.api<{ id: string }>('POST', '/v1/providers', {
      name: 'Echo connector',
      kind: 'sts',
      type: 'avr-sts',
      settings: { url: echoUrl },
    });
    const agentId = await this.#defaultInbound();
    await this.api('PATCH', `/v1/agents/${agentId}`, {
      config: {
        mode: 'sts',
        providers: { sts: [provider.id] },
        greeting: null,
        recording: { enabled: true },
        // The echo caller never stops talking; re-prompts would only add noise to the numbers.
        idle: { repromptAfterMs: 120_000 },
        maxDurationSeconds: 3600,
      },
    });
    await this.api('POST', `/v1/agents/${agentId}/publish`, { note: 'platform-load' });
  }

  /**
   * A Twilio account (its auth token as the `twilio:<AccountSid>` credential, which signs the
   * webhooks) and a number on it routed to the default inbound agent.
   */
  async useTwilio(o: { accountSid: string; authToken: string; to: string }): Promise<void> {
    await this.api('POST', '/v1/credentials', { name: `twilio:${o.accountSid}`, value: o.authToken });
    await this.api('POST', '/v1/phone-numbers', {
      number: o.to,
      connector: 'twilio',
      agentId: await this.#defaultInbound(),
    });
  }

  async #defaultInbound(): Promise<string> {
    const agents = await this.api<{ data: { id: string; defaultInbound: boolean }[] }>('GET', '/v1/agents');
    const agent = agents.data.find((a) => a.defaultInbound);
    if (!agent) throw new Error('no default inbound agent');
    return agent.id;
  }

  /** Live calls and the JS heap in use (MB), from /metrics. */
  async metrics(): Promise<{ activeCalls: number; heapMb: number }> {
    const res = await fetch(`${this.url}/metrics`, {
      headers: { authorization: 'Bearer platform-load-internal-token-0123456789' },
    });
    const text = await res.text();
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)`, 'm').exec(text)?.[1] ?? Number.NaN);
    return {
      activeCalls: value('switchboard_calls_active'),
      heapMb: value('switchboard_nodejs_heap_size_used_bytes') / 1024 / 1024,
    };
  }

  /** Writes a heap snapshot into the heap directory (needs `heapDir`). */
  heapSnapshot(): void {
    this.#child.kill('SIGUSR2');
  }

  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** SIGTERM (the platform drains and exits, writing its CPU profile), then cleans up. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((r) => this.#child.once('exit', r));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.#dataDir) rmSync(this.#dataDir, { recursive: true, force: true });
    await this.#dropDb?.().catch(() => {});
  }

  async #waitReady(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (this.#child.exitCode !== null) throw new Error(`platform exited with ${this.#child.exitCode}`);
      const ok = await fetch(`${this.url}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error('platform not ready after 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #provisionKey(): Promise<void> {
    // A cookie-authenticated write must come from the platform's own origin.
    const headers = { 'content-type': 'application/json', origin: this.url };
    const login = await fetch(`${this.url}/v1/auth/login`, {
      method: 'POST',
      headers,
      body: JSON.stringify(OWNER),
    });
    if (!login.ok) throw new Error(`login: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const key = await fetch(`${this.url}/v1/api-keys`, {
      method: 'POST',
      headers: { ...headers, cookie },
      body: JSON.stringify({ name: 'platform-load', role: 'admin' }),
    });
    if (!key.ok) throw new Error(`api key: ${key.status} ${await key.text()}`);
    this.apiKey = ((await key.json()) as { key: string }).key;
  }
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * The platform as operators run it: `switchboard start` in its own process (through tsx), so
 * tests can send it signals and kill it. Its data is prepared first by the in-process platform on
 * the same data directory or database, which then stops and hands it over.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { start } from '@switchboard/cli';
import { createLogger, loadConfig } from '@switchboard/core';
import type { Store } from '@switchboard/store';
import { waitFor } from '../../packages/cli/src/platform-testkit.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const MAIN = join(ROOT, 'packages/cli/src/main.ts');

export const PUBLIC_URL = 'https://voice.example.com';
export const INTERNAL_TOKEN = 'spawned-platform-internal-token-0123';

/** A TCP port free right now on 127.0.0.1. */
export async function freeTcpPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The settings every spawned platform shares; `env` adds to or overrides them. */
export function platformEnv(env: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PUBLIC_URL,
    INTERNAL_TOKEN,
    SIP_ENABLED: 'false',
    // The tests' webhook receivers listen on loopback, which the outbound guard refuses by default.
    OUTBOUND_ALLOWED_HOSTS: '127.0.0.0/8,::1,localhost',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
    ...env,
  };
}

export interface Seeded {
  workspaceId: string;
  demoAgentId: string;
}

/**
 * Starts the platform in this process on `env`'s data (which creates the workspace and the demo
 * agent), lets `seed` add what a test needs, and stops it again.
 */
export async function seedPlatform(
  env: Record<string, string>,
  seed: (store: Store, ids: Seeded) => Promise<void>,
): Promise<Seeded> {
  const running = await start(
    loadConfig(platformEnv({ ...env, PORT: '0', SIP_ENABLED: 'false', AUDIOSOCKET_ENABLED: 'false' })),
    createLogger({ level: 'error' }),
    { banner: false },
  );
  try {
    const { store } = running;
    const ws = await store.accounts.firstWorkspace();
    if (!ws) throw new Error('no workspace');
    const demo = (await store.agents.list(ws.id, { name: 'Demo receptionist' })).data[0];
    if (!demo) throw new Error('no demo agent');
    const ids = { workspaceId: ws.id, demoAgentId: demo.id };
    await seed(store, ids);
    return ids;
  } finally {
    await running.stop();
  }
}

export interface SpawnedPlatform {
  child: ChildProcess;
  /** `http://127.0.0.1:<PORT>` */
  url: string;
  /** What the process wrote so far (for failure messages). */
  output(): string;
  /** Settles when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** GET `path`: status and parsed body. */
  get(path: string): Promise<{ status: number; body: unknown }>;
}

/**
 * Spawns `switchboard start` with `env` (nothing inherited but PATH and HOME) and resolves once
 * `/health/ready` answers 200. The process is killed when `cleanup` runs, if still alive.
 */
export async function spawnPlatform(
  env: Record<string, string>,
  cleanup: (fn: () => void) => void,
  opts: {
    /** The production start (`npm start`: compiled JavaScript, built when stale) instead of tsx. */
    production?: boolean;
    /** PATH for the process (by default this process's). */
    path?: string;
  } = {},
): Promise<SpawnedPlatform> {
  const full = platformEnv(env);
  const args = opts.production
    ? ['--conditions=switchboard-dist', join(ROOT, 'scripts/start.mjs'), 'start']
    : ['--import', 'tsx', MAIN, 'start'];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: opts.path ?? process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...full },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const url = `http://127.0.0.1:${full.PORT}`;
  const get = async (path: string) => {
    const res = await fetch(`${url}${path}`);
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.status, body };
  };
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (gone) throw new Error(`the platform exited while starting:\n${out.slice(-3000)}`);
    const r = await get('/health/ready').catch(() => undefined);
    if (r?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`the platform did not become ready:\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, output: () => out, exited, get };
}

/** Polls `check` until it holds (the platform testkit's `waitFor`), with a longer default. */
export const until = <T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> => waitFor(what, check, ms);

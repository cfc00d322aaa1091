/**
 * Start-up time of the platform a user starts: from spawning the command to /health/ready
 * answering 200, on a new data directory (embedded database created and migrated) and on an
 * existing one, for the production start (`npm start`: compiled JavaScript) and the development
 * start (TypeScript through tsx). Also the CPU time the process used to get there and its RSS.
 *   npm run bench -- startup [--runs=3]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, procUsage, summarize } from './stats.js';

const root = new URL('..', import.meta.url).pathname;
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 3);

const COMMANDS = {
  production: [process.execPath, '--conditions=switchboard-dist', 'scripts/start.mjs', 'start'],
  'development (tsx)': [process.execPath, '--import', 'tsx', 'packages/cli/src/main.ts', 'start'],
} as const;

async function once(cmd: readonly string[], dataDir: string, port: number) {
  const started = performance.now();
  const child: ChildProcess = spawn(cmd[0] as string, cmd.slice(1), {
    cwd: root,
    stdio: 'ignore',
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      SIP_PORT: String(port + 1),
      DATABASE_URL: '',
      OWNER_EMAIL: 'bench@example.com',
      OWNER_PASSWORD: 'bench-password-123',
      LOG_LEVEL: 'warn',
    },
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${cmd.join(' ')} exited with ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - started;
    // The production start runs in one process (no launcher child), so /proc of the pid is it.
    return { readyMs, ...procUsage(child.pid as number) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const rows: Record<string, string | number>[] = [];
const loadBefore = loadavg()[0] ?? 0;
let port = 3900;
for (const [name, cmd] of Object.entries(COMMANDS)) {
  const fresh: number[] = [];
  const existing: number[] = [];
  const cpu: number[] = [];
  const freshCpu: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'sb-startup-'));
    try {
      port += 2;
      const first = await once(cmd, dir, port);
      fresh.push(first.readyMs);
      freshCpu.push(first.cpuMs);
      port += 2;
      const again = await once(cmd, dir, port);
      existing.push(again.readyMs);
      cpu.push(again.cpuMs);
      rss = Math.max(rss, again.rssMb);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rows.push({
    start: name,
    'new data dir p50 ms': summarize(fresh).p50,
    'new max ms': summarize(fresh).max,
    'new CPU ms': summarize(freshCpu).p50,
    'existing data dir p50 ms': summarize(existing).p50,
    'existing max ms': summarize(existing).max,
    'existing CPU ms': summarize(cpu).p50,
    'RSS at ready MB': Math.round(rss),
  });
}
// On a busy machine the wall-clock columns grow with the load; the CPU columns much less.
printTable(
  `Start to /health/ready (${runs} runs each; the first production run includes any compile; load average ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after)`,
  rows,
);

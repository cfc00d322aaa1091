/**
 * Scale-out on this machine: one platform worker, then two, behind Kamailio (the configuration in
 * deploy/kamailio), on one PostgreSQL and one Redis, started as operators start them (the
 * production start), each worker's default agent on an echo speech-to-speech connector with
 * recording on. A SIP caller process (bench/sip-workers/caller.ts) measures:
 * - call setup: R new calls a second for a few seconds, each held 1 s: answered share and the time
 *   from INVITE to 200 OK, through the proxy;
 * - concurrent calls: N calls held with one 20 ms frame each way every 20 ms, each frame marked so
 *   its echo is recognised: answered, setup, the share of frames echoed and their round trip;
 * with the CPU each worker and Kamailio used during the step. Prints one table with both worker
 * counts, then the scaling factor (two workers against one) of each step.
 *   npm run bench -- sip-workers [--workers=1,2 --rates=20,40,80 --holds=100,200 --seconds=5]
 * Needs PostgreSQL (DATABASE_URL or TEST_DATABASE_URL), Redis (REDIS_URL) and kamailio on PATH.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '@switchboard/providers';
import pg from 'pg';
import { startKamailio } from '../../e2e/sip/kamailio.js';
import { EchoSts } from '../platform-load/echo-sts.js';
import { Platform } from '../platform-load/platform.js';
import { printTable, procUsage } from '../stats.js';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const list = (name: string, fallback: number[]) => flag(name)?.split(',').map(Number) ?? fallback;
const WORKERS = list('workers', [1, 2]);
const RATES = list('rates', [20, 40, 80]);
const HOLDS = list('holds', [100, 200]);
const SECONDS = Number(flag('seconds') ?? 5);

const databaseUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const missing = [
  !databaseUrl && 'PostgreSQL (DATABASE_URL)',
  !redisUrl && 'Redis (REDIS_URL)',
  !findBinary('kamailio') && 'kamailio (apt-get install -y kamailio)',
].filter(Boolean);
if (missing.length > 0) {
  process.stdout.write(`skipped: needs ${missing.join(', ')}\n`);
  process.exit(0);
}
// postgres://user@host:port without the database name, as Platform expects.
const server = new URL(databaseUrl!);
const postgresUrl = `${server.protocol}//${server.username ? `${server.username}@` : ''}${server.host}`;

let nextPort = 47000 + Math.floor(Math.random() * 1000);
const port = () => nextPort++;

type Row = Record<string, string | number>;
const ms = (v: number | null | undefined) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toFixed(0) : '-';

/** CPU ms of every process in process group `pgid` (Kamailio and the workers it forked). */
function groupCpuMs(pgid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid) total += procUsage(Number(entry)).cpuMs;
    } catch {} // gone meanwhile
  }
  return total;
}

/** Runs the caller process and samples the CPU of the workers `pids` and Kamailio's group. */
interface CallerResult {
  answered: number;
  failed: number;
  errors: Record<string, number>;
  setupP50Ms: number | null;
  setupP99Ms: number | null;
  framesSent: number;
  framesBack: number;
  roundTripP50Ms: number | null;
  roundTripP99Ms: number | null;
}

async function step(
  args: Record<string, unknown>,
  pids: number[],
  proxyGroup: number,
): Promise<{ result: CallerResult; cpuPct: number[] }> {
  const usage = () => [...pids.map((p) => procUsage(p).cpuMs), groupCpuMs(proxyGroup)];
  const before = usage();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./caller.ts', import.meta.url).pathname, JSON.stringify(args)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const wall = performance.now() - t0;
  const cpuPct = usage().map((ms, i) => ((ms - before[i]!) / wall) * 100);
  if (code !== 0) throw new Error(`caller exited ${code}: ${out}`);
  return { result: JSON.parse(out.trim().split('\n').pop() ?? '{}'), cpuPct };
}

async function withWorkers(n: number, echo: EchoSts): Promise<Row[]> {
  const name = `sb_sip_workers_${process.pid}_${n}`;
  const admin = new pg.Client({ connectionString: `${postgresUrl}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  const dir = mkdtempSync(join(tmpdir(), 'sb-sip-workers-'));
  const shared = { databaseUrl: `${postgresUrl}/${name}`, dataDir: join(dir, 'data') };
  const env = {
    REDIS_URL: redisUrl!,
    MASTER_KEY: randomBytes(32).toString('hex'),
    AUDIOSOCKET_ENABLED: 'false',
  };
  const workers: { platform: Platform; sipPort: number }[] = [];
  let proxy: ReturnType<typeof startKamailio> | undefined;
  const rows: Row[] = [];
  try {
    // One after the other: the first creates the owner and the workspace the others share.
    for (let i = 0; i < n; i++) {
      const sipPort = port();
      const rtpMin = 30000 + i * 4000;
      const platform = await Platform.start({
        db: 'postgres',
        postgresUrl,
        shared,
        httpPort: port(),
        audioSocketPort: port(),
        sipPort,
        rtpRange: [rtpMin, rtpMin + 3999],
        echoHost: `127.0.0.1:${ECHO_PORT}`,
        core: undefined,
        cpuProfDir: undefined,
        heapDir: undefined,
        env,
      });
      workers.push({ platform, sipPort });
    }
    await workers[0]!.platform.useEchoProvider(echo.url);
    const proxyPort = port();
    proxy = startKamailio(
      dir,
      proxyPort,
      workers.map((w) => w.sipPort),
    );
    await proxy.ready();
    const pids = workers.map((w) => w.platform.pid);
    const idle = async () => {
      const deadline = Date.now() + 30_000;
      for (const w of workers)
        while ((await w.platform.metrics()).activeCalls > 0 && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 200));
    };
    const cpu = (pct: number[]) => ({
      'worker CPU %': pct
        .slice(0, n)
        .map((p) => p.toFixed(0))
        .join(' + '),
      'Kamailio CPU %': (pct[n] ?? 0).toFixed(1),
    });
    const target = `127.0.0.1:${proxyPort}`;
    for (const rate of RATES) {
      await idle();
      const { result: r, cpuPct } = await step(
        { mode: 'setup', target, rate, seconds: SECONDS, holdMs: 1000, rtpMin: 52000, calls: 0 },
        pids,
        proxy.pid,
      );
      const offered = Math.round(rate * SECONDS);
      rows.push({
        workers: n,
        step: `setup ${rate}/s`,
        offered,
        answered: `${((r.answered / offered) * 100).toFixed(1)} %`,
        'setup p50 ms': ms(r.setupP50Ms),
        'setup p99 ms': ms(r.setupP99Ms),
        'frames echoed': '-',
        'round trip p50/p99 ms': '-',
        ...cpu(cpuPct),
      });
      if (r.failed) process.stderr.write(`  ${n} worker(s), ${rate}/s: ${JSON.stringify(r.errors)}\n`);
    }
    for (const calls of HOLDS) {
      await idle();
      const { result: r, cpuPct } = await step(
        { mode: 'hold', target, calls, holdMs: SECONDS * 1000, rtpMin: 52000, rate: 0, seconds: 0 },
        pids,
        proxy.pid,
      );
      rows.push({
        workers: n,
        step: `hold ${calls}`,
        offered: calls,
        answered: `${((r.answered / calls) * 100).toFixed(1)} %`,
        'setup p50 ms': ms(r.setupP50Ms),
        'setup p99 ms': ms(r.setupP99Ms),
        'frames echoed': r.framesSent ? `${((r.framesBack / r.framesSent) * 100).toFixed(1)} %` : '-',
        'round trip p50/p99 ms': `${ms(r.roundTripP50Ms)} / ${ms(r.roundTripP99Ms)}`,
        ...cpu(cpuPct),
      });
      if (r.failed) process.stderr.write(`  ${n} worker(s), hold ${calls}: ${JSON.stringify(r.errors)}\n`);
    }
  } catch (e) {
    const logs = workers.map((w) => w.platform.log.slice(-1500)).join('\n---\n');
    throw new Error(
      `${e instanceof Error ? e.message : String(e)}\n${logs}\n${proxy?.output().slice(-1500) ?? ''}`,
    );
  } finally {
    proxy?.stop();
    for (const w of workers) await w.platform.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const ECHO_PORT = port();
const echo = await EchoSts.start({ host: '127.0.0.1', port: ECHO_PORT, transcriptEveryMs: 0 });
const rows: Row[] = [];
const load0 = loadavg()[0]!.toFixed(1);
try {
  for (const n of WORKERS) rows.push(...(await withWorkers(n, echo)));
} finally {
  await echo.close();
}
printTable(
  `SIP through Kamailio to 1 and 2 workers (PostgreSQL + Redis, recording on, echo STS agent), ${SECONDS} s per step, load average ${load0} at start, ${loadavg()[0]!.toFixed(1)} at end`,
  rows,
);
// Two workers against one, step by step: answered calls, and setup time at p50.
const one = rows.filter((r) => r.workers === 1);
const two = rows.filter((r) => r.workers === 2);
const scaling = one.flatMap((a) => {
  const b = two.find((r) => r.step === a.step);
  if (!b) return [];
  return [
    {
      step: String(a.step),
      'answered 1 → 2': `${a.answered} → ${b.answered}`,
      'setup p50 ms 1 → 2': `${a['setup p50 ms']} → ${b['setup p50 ms']}`,
      'setup p99 ms 1 → 2': `${a['setup p99 ms']} → ${b['setup p99 ms']}`,
      'frames echoed 1 → 2': `${a['frames echoed']} → ${b['frames echoed']}`,
      'round trip 1 → 2': `${a['round trip p50/p99 ms']} → ${b['round trip p50/p99 ms']}`,
    },
  ];
});
if (scaling.length > 0)
  printTable('Scaling: one worker → two workers (same machine, 2 cores shared by everything)', scaling);

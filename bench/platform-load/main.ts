/**
 * The whole started platform under call load. Starts the platform as a user does (production
 * start, its own process, pinned to one core with taskset), on PostgreSQL and on the embedded
 * PGlite, with AudioSocket on and recording on; provisions an `avr-sts` provider pointing at an
 * echo connector this process runs (echo-sts.ts) as the default inbound agent's provider; then, per
 * step, drives N paced AudioSocket calls (and, with --transport=twilio, Twilio Media Streams) from
 * a separate load process (call-load.ts) whose frames carry markers, and samples the platform's CPU and RSS from /proc. A floor row runs the
 * same load through the least possible relay (floor-relay.ts): the machine's own cost.
 *
 *   npm run bench -- platform-load [--n=50,100,200,400] [--seconds=10] [--db=postgres,pglite]
 *     [--pglite-n=50,100] [--core=1] [--no-floor] [--profile=DIR] [--heap=DIR]
 *     [--ramp=100] [--transcript-ms=4000] [--postgres=postgres://postgres@127.0.0.1:5432]
 *     [--transport=audiosocket,twilio,sip]
 *
 * Columns: CPU % of one core and RSS (MB, peak in the window; `RSS after` once the step's calls
 * ended) of the platform process; lost = frames sent in the window that never came back; jitter
 * p99 = |gap between consecutive frames back − 20 ms|; round trip = marker send time → frame back;
 * setup = TCP accepted → first caller frame at the echo connector; first audio = accepted → first
 * frame back. `runq %` is time the platform's main thread waited for a CPU (the machine was busy);
 * `gen late p99` is how late the load generator sent (above a few ms, the machine, not the platform,
 * set the numbers); `load1` is the 1-minute load average after the step.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { printTable, procUsage, summarize } from '../stats.js';
import type { LoadArgs, LoadResult, TwilioTarget } from './call-load.js';
import { EchoSts } from './echo-sts.js';
import { hasTaskset, Platform } from './platform.js';

const opt = (name: string, fallback: string): string => {
  const a = process.argv.slice(2).find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const list = (s: string) =>
  s
    .split(',')
    .map(Number)
    .filter((n) => n > 0);

const STEPS = list(opt('n', '50,100,200,400'));
const PGLITE_STEPS = list(opt('pglite-n', '50,100'));
const SECONDS = Number(opt('seconds', '10'));
const DBS = opt('db', 'postgres,pglite').split(',').filter(Boolean) as ('postgres' | 'pglite')[];
const CORE = opt('core', '1') === 'none' ? undefined : Number(opt('core', '1'));
const RAMP = Number(opt('ramp', '100'));
const TRANSCRIPT_MS = Number(opt('transcript-ms', '4000'));
const POSTGRES = opt('postgres', 'postgres://postgres@127.0.0.1:5432');
const TRANSPORTS = opt('transport', 'audiosocket').split(',').filter(Boolean) as LoadArgs['transport'][];
const TWILIO = {
  accountSid: `AC${'5'.repeat(32)}`,
  authToken: 'platform-load-twilio-token-0001',
  to: '+14155550123',
};
const PROFILE_DIR = opt('profile', '') || undefined;
const HEAP_DIR = opt('heap', '') || undefined;
const HTTP_PORT = 4400;
const AUDIOSOCKET_PORT = 9400;
const SIP_PORT = 9402;
const ECHO_PORT = 4450;
const FLOOR_PORT = 9401;
const here = new URL('.', import.meta.url).pathname;

type Row = Record<string, string | number>;

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** Main-thread run-queue wait of a process (ms), from /proc/<pid>/schedstat. */
function runQueueMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** One load step against whatever listens on `port`; samples `pid` during the window. */
async function step(
  label: string,
  pid: number,
  port: number,
  calls: number,
  echo: EchoSts,
  idle: () => Promise<void>,
  heapMb: () => Promise<number> = async () => Number.NaN,
  atWindowEnd?: () => void,
  transport: LoadArgs['transport'] = 'audiosocket',
  twilio?: TwilioTarget,
): Promise<Row> {
  echo.reset();
  const args: LoadArgs = {
    transport,
    ...(twilio ? { twilio } : {}),
    host: '127.0.0.1',
    port,
    calls,
    seconds: SECONDS,
    rampPerSecond: RAMP,
    warmupMs: 1000,
    tailMs: 5000,
    setupTimeoutMs: 20_000,
  };
  // The generator gets the other core, so the platform's core is its own.
  const cmd = [process.execPath, '--import', 'tsx', `${here}call-load.ts`, JSON.stringify(args)];
  const child: ChildProcess = spawnPinned(CORE === undefined ? undefined : CORE === 0 ? 1 : 0, cmd);
  let cpu0 = { cpuMs: 0, rssMb: 0 };
  let wall0 = 0;
  let runq0 = 0;
  let cpuPct = Number.NaN;
  let runqPct = Number.NaN;
  let peakRss = 0;
  let sampler: NodeJS.Timeout | undefined;
  let result: LoadResult | undefined;
  let heapInWindow: Promise<number> = Promise.resolve(Number.NaN);
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    if (line === 'measure-start') {
      cpu0 = procUsage(pid);
      wall0 = performance.now();
      runq0 = runQueueMs(pid);
      peakRss = cpu0.rssMb;
      sampler = setInterval(() => {
        peakRss = Math.max(peakRss, procUsage(pid).rssMb);
      }, 250);
    } else if (line === 'measure-end') {
      clearInterval(sampler);
      const u = procUsage(pid);
      const wall = performance.now() - wall0;
      cpuPct = ((u.cpuMs - cpu0.cpuMs) / wall) * 100;
      runqPct = ((runQueueMs(pid) - runq0) / wall) * 100;
      peakRss = Math.max(peakRss, u.rssMb);
      heapInWindow = heapMb();
      atWindowEnd?.();
    } else if (line.startsWith('{')) result = JSON.parse(line) as LoadResult;
  }
  clearInterval(sampler);
  if (!result) throw new Error(`${label} N=${calls}: the load generator printed no result`);
  const setup: number[] = [];
  for (const [i, at] of echo.firstFrameAt) {
    const accepted = result.acceptedAt[i];
    if (accepted !== undefined && !Number.isNaN(accepted)) setup.push(at - accepted);
  }
  const s = summarize(setup);
  const back = summarize(result.firstBackMs.filter((x) => !Number.isNaN(x)));
  await idle();
  const after = procUsage(pid).rssMb;
  const heapAfter = await heapMb();
  const load = loadavg();
  process.stderr.write(
    `  ${label} N=${calls}: generator late p99 ${result.latenessP99.toFixed(1)} ms, cpu ${result.cpuPct.toFixed(0)}%, garbled ${result.garbled}; load ${load}\n`,
  );
  return {
    run: label,
    N: calls,
    answered: result.answered,
    'CPU %': cpuPct,
    'runq %': runqPct,
    'RSS MB': Math.round(peakRss),
    'RSS after': Math.round(after),
    'heap MB': Math.round(await heapInWindow),
    'heap after': Math.round(heapAfter),
    sent: result.sent,
    lost: result.lost,
    'jitter p99': result.jitterP99,
    'rtt p50': result.rttP50,
    'rtt p99': result.rttP99,
    'setup p50': s.p50,
    'setup p99': s.p99,
    'first audio p50': back.p50,
    'first audio p99': back.p99,
    'gen late p99': result.latenessP99,
    // A starved generator or platform measures the machine: such a row is not about the code.
    trust: result.latenessP99 <= 20 && runqPct <= 20 ? 'ok' : 'machine busy',
    load1: load.split(' ')[0] ?? '',
  };
}

async function floorRows(echo: EchoSts): Promise<Row[]> {
  const pinned = CORE !== undefined && hasTaskset();
  const cmd = [process.execPath, '--import', 'tsx', `${here}floor-relay.ts`, String(FLOOR_PORT), echo.url];
  const child = spawn(
    pinned ? 'taskset' : (cmd[0] as string),
    pinned ? ['-c', String(CORE), ...cmd] : cmd.slice(1),
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor relay exited with ${code}`)));
  });
  const rows: Row[] = [];
  try {
    for (const n of [Math.max(...STEPS)])
      rows.push(
        await step('floor (no platform)', child.pid as number, FLOOR_PORT, n, echo, () => waitEchoIdle(echo)),
      );
  } finally {
    child.kill('SIGTERM');
  }
  return rows;
}

/** Spawns `cmd` (stdout piped), under `taskset -c core` when a core is given and taskset exists. */
function spawnPinned(core: number | undefined, cmd: string[]): ChildProcess {
  const pinned = core !== undefined && hasTaskset();
  const [file, ...rest] = pinned ? ['taskset', '-c', String(core), ...cmd] : cmd;
  return spawn(file as string, rest, { stdio: ['ignore', 'pipe', 'inherit'] });
}

async function waitEchoIdle(echo: EchoSts): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (echo.open > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
}

async function platformRows(db: 'postgres' | 'pglite', echo: EchoSts): Promise<Row[]> {
  const platform = await Platform.start({
    db,
    postgresUrl: POSTGRES,
    httpPort: HTTP_PORT,
    audioSocketPort: AUDIOSOCKET_PORT,
    ...(TRANSPORTS.includes('sip') ? { sipPort: SIP_PORT } : {}),
    echoHost: `127.0.0.1:${ECHO_PORT}`,
    core: CORE,
    cpuProfDir: PROFILE_DIR ? `${PROFILE_DIR}/${db}` : undefined,
    heapDir: HEAP_DIR ? `${HEAP_DIR}/${db}` : undefined,
  });
  const rows: Row[] = [];
  try {
    await platform.useEchoProvider(echo.url);
    const idle = async () => {
      await waitEchoIdle(echo);
      const deadline = Date.now() + 30_000;
      while ((await platform.metrics()).activeCalls > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
    };
    const heapMb = async () => (await platform.metrics()).heapMb;
    // The platform at rest, ready and provisioned: what every step's memory is measured against.
    const rest = procUsage(platform.pid).rssMb;
    process.stderr.write(
      `  ${db}: RSS ${Math.round(rest)} MB, heap ${Math.round(await heapMb())} MB before any call\n`,
    );
    const steps = db === 'pglite' ? PGLITE_STEPS : STEPS;
    if (TRANSPORTS.includes('twilio')) await platform.useTwilio(TWILIO);
    for (const transport of TRANSPORTS) {
      const twilio =
        transport === 'twilio' ? { ...TWILIO, appUrl: platform.url, publicUrl: platform.url } : undefined;
      const label = transport === 'audiosocket' ? db : `${db} ${transport}`;
      for (const [i, n] of steps.entries()) {
        // With --heap: one snapshot with the last step's calls live, one after they ended.
        const live = HEAP_DIR && i === steps.length - 1 ? () => platform.heapSnapshot() : undefined;
        // A step that fails (the generator gave up on a platform that stopped answering) is
        // reported and skipped; the next step starts from a platform with no calls.
        const row = await step(
          label,
          platform.pid,
          transport === 'sip' ? SIP_PORT : AUDIOSOCKET_PORT,
          n,
          echo,
          idle,
          heapMb,
          live,
          transport,
          twilio,
        ).catch((e: unknown) => {
          process.stderr.write(`  ${label} N=${n} failed: ${e instanceof Error ? e.message : String(e)}\n`);
          return undefined;
        });
        if (row) rows.push(row);
        else await idle();
      }
    }
    if (HEAP_DIR) {
      platform.heapSnapshot();
      await new Promise((r) => setTimeout(r, 10_000));
    }
  } finally {
    await platform.stop();
  }
  return rows;
}

const echo = await EchoSts.start({ host: '127.0.0.1', port: ECHO_PORT, transcriptEveryMs: TRANSCRIPT_MS });
const rows: Row[] = [];
const startLoad = loadavg();
try {
  if (!flag('no-floor')) rows.push(...(await floorRows(echo)));
  for (const db of DBS) rows.push(...(await platformRows(db, echo)));
} finally {
  await echo.close();
}
printTable(
  `Platform under ${TRANSPORTS.join(' and ')} → echo STS load, ${SECONDS} s per step, recording on, platform ${
    CORE === undefined ? 'unpinned' : `on core ${CORE}`
  } (load average ${startLoad} at start, ${loadavg()} at end)`,
  rows,
);

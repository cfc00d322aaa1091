/**
 * Twilio relay capacity on one core: the Twilio plugin in this process with every leg relayed to
 * a zero-latency fake speech-to-speech provider (what arrives is played back through the engine's
 * real-time Pacer), load from bench/twilio-load.ts in a child process. With taskset, this process
 * is pinned to core 0 and the generator to core 1, so "CPU %" is of the relay's one core.
 *
 * The fake provider answers 40 ms after the caller starts, then echoes every frame at once, so the
 * Pacer holds a small lead the way it does behind a real provider (which sends faster than real
 * time). Without the lead the pacer underruns on every frame that arrives a hair late and the
 * jitter measure would reset instead of seeing the lateness.
 *
 * Per step: frames dropped (sent by the carrier minus echoed back, plus frames any leg dropped),
 * pacer underruns, p99/max outbound pacing jitter (deviation of the interval between two plays of
 * a call from 20 ms), event-loop utilisation, relay CPU, memory per call, and the generator's own
 * lateness and CPU. The largest step with no dropped frames, p99 jitter ≤ 10 ms and a punctual
 * generator is the capacity.
 * Run: node --import tsx bench/twilio-relay.ts [steps, e.g. 250,500,750]
 * Knobs: BENCH_SPIN_MS (pacer spin, default the Pacer's), BENCH_MARK_MS (mark interval).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { silentLogger } from '@switchboard/core';
import { type AudioFrame, DEFAULT_SPIN_MS, MULAW_8K, Pacer } from '@switchboard/media';
import { type TwilioCallLeg, twilioPlugin } from '@switchboard/telephony';
import Fastify from 'fastify';
import { printTable, runQueueWaitMs, summarize } from './stats.js';

const steps = (process.argv[2] ?? '250,500,750,1000,1250').split(',').map(Number);
const HOLD_MS = 6000;
const LEAD_MS = 40;
const SPIN_MS = Number(process.env.BENCH_SPIN_MS ?? DEFAULT_SPIN_MS);
/**
 * The generator is punctual while its p99 lateness stays within half a frame: a late carrier
 * message only eats into the provider's 40 ms lead, but a generator much later than that is no
 * longer offering the load the step claims.
 */
const GENERATOR_LATE_MS = 10;
const PUBLIC = 'https://bench.example.net';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Pins this process (every thread) to core 0 and runs the generator on core 1, when possible. */
function pinning(): { pinned: boolean; generatorPrefix: string[] } {
  if (os.cpus().length < 2) return { pinned: false, generatorPrefix: [] };
  const r = spawnSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
  return r.status === 0
    ? { pinned: true, generatorPrefix: ['taskset', '-c', '1'] }
    : { pinned: false, generatorPrefix: [] };
}
const pin = pinning();

interface Measure {
  on: boolean;
  deviations: number[];
  underruns: number;
  played: number;
}
const m: Measure = { on: false, deviations: [], underruns: 0, played: 0 };
const legs = new Set<TwilioCallLeg>();

/** The fake provider: a 40 ms answer delay, then every caller frame straight back through a Pacer. */
function relay(leg: TwilioCallLeg): void {
  legs.add(leg);
  let last: number | undefined;
  let held: AudioFrame[] = [];
  let primed = false;
  const pacer = new Pacer({
    format: MULAW_8K,
    spinMs: SPIN_MS,
    onFrame: (f) => {
      const now = performance.now();
      if (m.on) {
        m.played++;
        if (last !== undefined) m.deviations.push(Math.abs(now - last - 20));
      }
      last = now;
      leg.play(f);
    },
    onIdle: () => {
      last = undefined;
      primed = false;
      if (m.on) m.underruns++;
    },
  });
  leg.on('hangup', () => {
    pacer.close();
    legs.delete(leg);
  });
  void (async () => {
    for await (const f of leg.audio) {
      if (primed) {
        pacer.push(f);
        continue;
      }
      held.push(f);
      if (held.length * 20 >= LEAD_MS) {
        for (const h of held) pacer.push(h);
        held = [];
        primed = true;
      }
    }
    pacer.close();
  })();
}

const app = Fastify({ logger: false });
await app.register(
  twilioPlugin({
    publicUrl: PUBLIC,
    logger: silentLogger(),
    getCredentials: async ({ accountSid }) => ({ accountSid, authToken: 'bench-token' }),
    onCall: relay,
    // Playback marks are a sixth of the outbound messages at the default 100 ms; this shows their cost.
    ...(process.env.BENCH_MARK_MS ? { markEveryMs: Number(process.env.BENCH_MARK_MS) } : {}),
  }),
);
await app.listen({ host: '127.0.0.1', port: 0 });
const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

function runLoad(calls: number, onGo: () => void): Promise<Record<string, number | string>> {
  return new Promise((resolve, reject) => {
    const argv = [
      ...pin.generatorPrefix,
      process.execPath,
      '--import',
      'tsx',
      new URL('./twilio-load.ts', import.meta.url).pathname,
      appUrl,
      PUBLIC,
      String(calls),
      String(HOLD_MS),
    ];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      if (!out.includes('go\n') && (out + d.toString()).includes('go\n')) onGo();
      out += d.toString();
    });
    // The generator gives up by itself; this is the backstop when it cannot even start.
    const watchdog = setTimeout(() => child.kill(), HOLD_MS + 180_000);
    child.on('close', (code) => {
      clearTimeout(watchdog);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'));
      else reject(new Error(`load exited ${code}`));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const num = (v: unknown) => (typeof v === 'number' ? v : 0);

process.stdout.write(
  `relay pinned to core 0, generator to core 1: ${pin.pinned ? 'yes' : 'no (taskset missing or one core)'}\n`,
);
const rows: Record<string, string | number>[] = [];
let capacity = 0;
let failures = 0;
for (const calls of steps) {
  gc();
  const mem0 = process.memoryUsage();
  m.deviations = [];
  m.underruns = 0;
  m.played = 0;
  let go!: () => void;
  const started = new Promise<void>((r) => {
    go = r;
  });
  const load = runLoad(calls, () => go());
  // Measure the middle of the hold: after every stream started, before any stopped.
  await Promise.race([started, load]);
  await sleep(1500);
  const legDrops0 = [...legs].reduce((a, l) => a + l.stats.droppedIn + l.stats.droppedOut, 0);
  m.on = true;
  // The event loop's own delay, to tell relay cost from a machine busy with other work.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const wait0 = runQueueWaitMs();
  const t0 = performance.now();
  await sleep(3000);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const waited = wait0 === undefined ? Number.NaN : (runQueueWaitMs() ?? Number.NaN) - wait0;
  const elu = performance.eventLoopUtilization(elu0);
  m.on = false;
  loop.disable();
  // Memory with every call still up, collected only now: a full GC is a pause the pacing would see.
  gc();
  const mem1 = process.memoryUsage();
  const legDrops = [...legs].reduce((a, l) => a + l.stats.droppedIn + l.stats.droppedOut, 0) - legDrops0;
  const r = await load;
  await sleep(300);
  const j = summarize(m.deviations);
  const dropped = num(r.sent) - num(r.received) + legDrops;
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  const genLate = num(r.latenessP99Ms);
  const ok = dropped === 0 && j.p99 <= 10 && r.calls === calls;
  const punctual = genLate <= GENERATOR_LATE_MS && num(r.sent) === calls * (HOLD_MS / 20);
  if (ok && punctual) capacity = calls;
  rows.push({
    calls,
    connected: num(r.calls),
    'frames sent': num(r.sent),
    dropped,
    underruns: m.underruns,
    'jitter p50 ms': j.p50,
    'jitter p99 ms': j.p99,
    'jitter max ms': j.max,
    'loop delay p99 ms': loop.percentile(99) / 1e6,
    'loop busy %': elu.utilization * 100,
    'relay cpu %': cpuPct,
    // The kernel's share: socket reads and writes (loopback TCP), epoll.
    'of it sys %': (cpu.system / 1000 / wall) * 100,
    'cpu %/call': cpuPct / calls,
    // CPU per frame relayed (one in, one out, a mark every fifth), comparable across steps.
    'cpu µs/frame': (cpu.user + cpu.system) / Math.max(1, m.played),
    // RSS freed by an earlier step is not always returned to the OS: heap per call is steadier.
    'rss MB': mem1.rss / 1e6,
    'rss KB/call': (mem1.rss - mem0.rss) / 1024 / calls,
    'heap KB/call': (mem1.heapUsed - mem0.heapUsed) / 1024 / calls,
    // Time the relay was runnable but another process had its core: the machine was busy.
    'relay runq %': (waited / wall) * 100,
    'gen late p99 ms': genLate,
    'gen cpu %': num(r.cpuPct),
    'gen runq %': typeof r.runQueuePct === 'number' ? r.runQueuePct : Number.NaN,
    ok: ok ? (punctual ? 'yes' : 'yes, gen late') : 'no',
  });
  if (r.extensions) process.stdout.write(`warning: sockets negotiated "${r.extensions}"\n`);
  failures = ok ? 0 : failures + 1;
  if (failures >= 2) break;
}
process.stdout.write(
  `load average after the run: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores; pacer spin ${SPIN_MS} ms\n`,
);
printTable('Twilio Media Streams relay (fake STS echo through the Pacer), relay on one core', rows);
process.stdout.write(
  `\ncapacity: ${capacity} concurrent calls per core (no dropped frames, p99 pacing jitter ≤ 10 ms, generator punctual)\n`,
);
await app.close();
process.exit(0);

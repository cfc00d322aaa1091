/**
 * Twilio relay capacity: the Twilio plugin in this process with every leg relayed to an echo
 * (what arrives is played back through the engine's real-time Pacer, as a zero-latency
 * speech-to-speech provider would), load from bench/twilio-load.ts in a child process. Per step:
 * frames dropped (sent by the carrier minus echoed back), p99 outbound pacing jitter (deviation of
 * the interval between two plays of a call from 20 ms), CPU and memory per call. The largest step
 * with no dropped frames and p99 jitter ≤ 10 ms is the capacity.
 * Run: node --import tsx bench/twilio-relay.ts [steps, e.g. 100,250,500]
 */
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { silentLogger } from '@switchboard/core';
import { MULAW_8K, Pacer } from '@switchboard/media';
import { twilioPlugin } from '@switchboard/telephony';
import Fastify from 'fastify';
import { printTable, summarize } from './stats.js';

const steps = (process.argv[2] ?? '100,250,500,750,1000').split(',').map(Number);
const HOLD_MS = 6000;
const os = await import('node:os');
const PUBLIC = 'https://bench.example.net';

let deviations: number[] = [];
let measuring = false;
const app = Fastify({ logger: false });
await app.register(
  twilioPlugin({
    publicUrl: PUBLIC,
    logger: silentLogger(),
    getCredentials: async ({ accountSid }) => ({ accountSid, authToken: 'bench-token' }),
    onCall: (leg) => {
      let last: number | undefined;
      const pacer = new Pacer({
        format: MULAW_8K,
        // Timer precision (±2 ms) is well inside the 10 ms budget; spinning would bill polling as relay CPU.
        spinMs: 0,
        onFrame: (f) => {
          const now = performance.now();
          if (measuring && last !== undefined) deviations.push(Math.abs(now - last - 20));
          last = now;
          leg.play(f);
        },
        onIdle: () => {
          last = undefined;
        },
      });
      leg.on('hangup', () => {
        pacer.close();
      });
      void (async () => {
        for await (const f of leg.audio) pacer.push(f);
        pacer.close();
      })();
    },
  }),
);
await app.listen({ host: '127.0.0.1', port: 0 });
const appUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

function runLoad(calls: number, onGo: () => void): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('./twilio-load.ts', import.meta.url).pathname,
        appUrl,
        PUBLIC,
        String(calls),
        String(HOLD_MS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      if (!out.includes('go\n') && (out + d.toString()).includes('go\n')) onGo();
      out += d.toString();
    });
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'))
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

const rows: Record<string, string | number>[] = [];
let capacity = 0;
let failures = 0;
for (const calls of steps) {
  globalThis.gc?.();
  const mem0 = process.memoryUsage().rss;
  deviations = [];
  let go!: () => void;
  const started = new Promise<void>((r) => {
    go = r;
  });
  const load = runLoad(calls, () => go());
  // Measure the middle of the hold: after every stream started, before any stopped.
  await Promise.race([started, load]);
  await new Promise((r) => setTimeout(r, 1500));
  measuring = true;
  // The event loop's own delay, to tell relay cost from a machine that is busy with other work.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const mem1 = process.memoryUsage().rss;
  await new Promise((r) => setTimeout(r, 3000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  measuring = false;
  loop.disable();
  const r = await load;
  await new Promise((res) => setTimeout(res, 300));
  const j = summarize(deviations);
  const dropped = (r.sent ?? 0) - (r.received ?? 0);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  const ok = dropped === 0 && j.p99 <= 10 && r.calls === calls;
  if (ok) capacity = calls;
  rows.push({
    calls,
    connected: r.calls ?? 0,
    'frames sent': r.sent ?? 0,
    dropped,
    'jitter p50 ms': j.p50,
    'jitter p99 ms': j.p99,
    'jitter max ms': j.max,
    'loop delay p99 ms': loop.percentile(99) / 1e6,
    'cpu % (1 core)': cpuPct,
    'cpu %/call': cpuPct / calls,
    'rss MB/call': (mem1 - mem0) / 1e6 / calls,
    ok: ok ? 'yes' : 'no',
  });
  failures = ok ? 0 : failures + 1;
  if (failures >= 2) break;
}
process.stdout.write(
  `load average during the run: ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores\n`,
);
printTable('Twilio Media Streams relay (echo through the Pacer), one server process', rows);
process.stdout.write(
  `\ncapacity: ${capacity} concurrent calls (no dropped frames, p99 pacing jitter ≤ 10 ms)\n`,
);
await app.close();
process.exit(0);

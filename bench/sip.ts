/**
 * SIP/RTP capacity on one core: an echo handler in this process (the server under test), load
 * from a second SipServer in a child process. For each step: calls connected, frames lost or late
 * (both directions), p99 outbound RTP pacing jitter, CPU and memory per call. The largest step
 * with no lost frames and p99 jitter ≤ 10 ms is the capacity.
 * Run: node --import tsx bench/sip.ts [steps, e.g. 25,50,100,200]
 */
import { spawn } from 'node:child_process';
import { SipServer } from '@switchboard/telephony';

const steps = (process.argv[2] ?? '25,50,100,200,300').split(',').map(Number);
const HOLD_MS = 6000;
const WARMUP_MS = 1000;

const lastSend = new Map<string, number>();
let deviations: number[] = [];
let measuring = false;
const server = new SipServer({
  port: 0,
  transports: ['udp'],
  rtpPortRange: [42000, 43998],
  mediaTimeoutMs: 0,
  onRtpSend: (callId, at) => {
    const prev = lastSend.get(callId);
    lastSend.set(callId, at);
    if (measuring && prev !== undefined) deviations.push(Math.abs(at - prev - 20));
  },
  onCall: (leg) => {
    void (async () => {
      for await (const f of leg.audio) leg.play(f);
    })();
  },
});
await server.start();
const baseline = process.memoryUsage();

function runLoad(calls: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL('./sip-load.ts', import.meta.url).pathname,
        String(server.address.port),
        String(calls),
        String(HOLD_MS),
        '46000',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}'))
        : reject(new Error(`load exited ${code}`)),
    );
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const rows: Array<Record<string, string | number>> = [];
let capacity = 0;
for (const calls of steps) {
  deviations = [];
  lastSend.clear();
  const load = runLoad(calls);
  await new Promise((r) => setTimeout(r, 200 + calls * 5 + WARMUP_MS));
  const legs = server.calls;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  global.gc?.();
  const mem = process.memoryUsage();
  measuring = true;
  await new Promise((r) => setTimeout(r, HOLD_MS - WARMUP_MS - 500));
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  let lost = 0;
  let late = 0;
  let underruns = 0;
  for (const leg of legs) {
    lost += leg.rtpStats?.jitter.lost ?? 0;
    late += leg.rtpStats?.jitter.late ?? 0;
    underruns += leg.rtpStats?.jitter.underruns ?? 0;
  }
  const r = await load;
  const cpuPct = ((cpu.user + cpu.system) / 1000 / wall) * 100;
  const p99 = pct(deviations, 99);
  const ok = r.connected === calls && lost + late + (r.lost ?? 0) + (r.late ?? 0) === 0 && p99 <= 10;
  if (ok) capacity = calls;
  rows.push({
    calls,
    connected: r.connected ?? 0,
    'lost/late in': `${lost}/${late}`,
    'lost/late back': `${r.lost}/${r.late}`,
    underruns,
    'over 10 ms': deviations.filter((d) => d > 10).length,
    'p50 jitter ms': pct(deviations, 50).toFixed(2),
    'p99 jitter ms': p99.toFixed(2),
    'cpu % of core': cpuPct.toFixed(1),
    'cpu %/call': (cpuPct / calls).toFixed(3),
    'rss MB': (mem.rss / 1e6).toFixed(0),
    'rss KB/call': ((mem.rss - baseline.rss) / 1024 / calls).toFixed(0),
    'heap KB/call': ((mem.heapUsed - baseline.heapUsed) / 1024 / calls).toFixed(0),
    ok: ok ? 'yes' : 'no',
  });
  await new Promise((r) => setTimeout(r, 500));
  if (!ok) break;
}
await server.stop();
console.table(rows);
console.log(`capacity: ${capacity} simultaneous calls (no lost frames, p99 pacing jitter <= 10 ms)`);

/**
 * Load generator for bench/sip.ts, run in its own process so the server under test has its core
 * to itself: dials N calls into the server, sends one 20 ms μ-law frame per call every 20 ms,
 * counts what comes back, hangs up, and prints one JSON line. Calls are spread over the 20 ms
 * period in 1 ms slots, as real callers' packets arrive at random phases. With taskset it moves
 * itself to core 1 (run the server with `taskset -c 0` to give it core 0 alone), and it reports
 * its own lateness, CPU and run-queue wait on stderr: a late generator is not measuring the server.
 * Usage: node --import tsx bench/sip-load.ts <port> <calls> <holdMs> <rtpMin>
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { MULAW_8K, sineFrame } from '@switchboard/media';
import { type SipCallLeg, SipServer } from '@switchboard/telephony';
import { runQueueWaitMs, runSlots, summarize } from './stats.js';

const [port = 0, calls = 1, holdMs = 5000, rtpMin = 46000] = process.argv.slice(2).map(Number);
const FRAME_MS = 20;
const pinned =
  os.cpus().length >= 2 &&
  spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' }).status === 0;
// A bench must stop by itself, even when the server under test never answers.
setTimeout(() => {
  process.stderr.write('sip-load: gave up (setup or hold took too long)\n');
  process.exit(2);
}, holdMs + 120_000).unref();

const server = new SipServer({
  port: 0,
  transports: ['udp'],
  rtpPortRange: [rtpMin, rtpMin + 2 * calls + 200],
  mediaTimeoutMs: 0,
});
await server.start();
const frame = sineFrame(440, MULAW_8K, 20, 0.3);
const legs: SipCallLeg[] = [];
const received = new Map<SipCallLeg, number>();
let failed = 0;
await Promise.all(
  Array.from({ length: calls }, async (_, i) => {
    await new Promise((r) => setTimeout(r, i * 5)); // spread call setup over a few hundred ms
    try {
      const leg = await server.dial({ to: `sip:echo@127.0.0.1:${port}`, timeoutMs: 10_000 });
      legs.push(leg);
      received.set(leg, 0);
      void (async () => {
        for await (const _f of leg.audio) received.set(leg, (received.get(leg) ?? 0) + 1);
      })();
    } catch {
      failed++;
    }
  }),
);

// Leg i sends in slot i mod 20: slot k of the run is due at start + k ms.
const slots: SipCallLeg[][] = Array.from({ length: FRAME_MS }, () => []);
for (const [i, leg] of legs.entries()) slots[i % FRAME_MS]!.push(leg);
const cpu0 = process.cpuUsage();
const wait0 = runQueueWaitMs();
const start = performance.now();
const lateness = await runSlots({
  slots: holdMs,
  onSlot: (k) => {
    for (const leg of slots[k % FRAME_MS]!) leg.play(frame);
  },
});
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - start;
const waited = wait0 === undefined ? Number.NaN : (runQueueWaitMs() ?? Number.NaN) - wait0;
await new Promise((r) => setTimeout(r, 300));
let lost = 0;
let late = 0;
let got = 0;
for (const leg of legs) {
  const j = leg.rtpStats?.jitter;
  lost += j?.lost ?? 0;
  late += j?.late ?? 0;
  got += received.get(leg) ?? 0;
}
await Promise.all(legs.map((l) => l.hangup()));
await server.stop();
const lag = summarize(lateness);
// bench/sip.ts prints the server's table; the generator's own health goes to stderr beside it.
process.stderr.write(
  `sip-load ${calls} calls: generator on core 1 ${pinned ? 'yes' : 'no'}, late p99 ${lag.p99.toFixed(1)} ms (max ${lag.max.toFixed(1)}), cpu ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)}%, run-queue wait ${((waited / wall) * 100).toFixed(1)}%\n`,
);
process.stdout.write(
  `${JSON.stringify({
    connected: legs.length,
    failed,
    framesSentPerCall: holdMs / FRAME_MS,
    framesBack: got,
    lost,
    late,
    latenessP99Ms: lag.p99,
    cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
  })}\n`,
);

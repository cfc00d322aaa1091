/**
 * Load generator for bench/sip.ts, run in its own process so the server under test has its core
 * to itself: dials N calls into the server, sends one 20 ms μ-law frame per call every 20 ms,
 * counts what comes back, hangs up, and prints one JSON line.
 * Usage: node --import tsx bench/sip-load.ts <port> <calls> <holdMs> <rtpMin>
 */
import { MULAW_8K, sineFrame } from '@switchboard/media';
import { type SipCallLeg, SipServer } from '@switchboard/telephony';

const [port = 0, calls = 1, holdMs = 5000, rtpMin = 46000] = process.argv.slice(2).map(Number);
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
let sent = 0;
const start = performance.now();
let n = 0;
await new Promise<void>((resolve) => {
  const tick = () => {
    for (const leg of legs) leg.play(frame);
    sent++;
    n++;
    if (performance.now() - start >= holdMs) return resolve();
    setTimeout(tick, Math.max(0, start + n * 20 - performance.now()));
  };
  tick();
});
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
process.stdout.write(
  `${JSON.stringify({ connected: legs.length, failed, framesSentPerCall: sent, framesBack: got, lost, late })}\n`,
);

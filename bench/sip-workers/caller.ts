/**
 * The SIP caller of bench/sip-workers, in its own process: dials through the proxy with the
 * platform's own SIP stack (record-routed, so ACK and BYE go back through the proxy) and prints
 * one JSON line.
 * - `setup`: `rate` new calls a second for `seconds`, each held `holdMs` then hung up: how many
 *   were answered and how long each took (INVITE sent → 200 OK received).
 * - `hold`: `calls` calls set up 5 ms apart, then one 20 ms frame per call every 20 ms for
 *   `holdMs`, each carrying a marker (call, sequence, send time; bench/platform-load/marker.ts) that
 *   the echo agent sends back: answered calls, setup times, the share of frames echoed and their
 *   round trip.
 * Usage: node --import tsx bench/sip-workers/caller.ts '<json args>'
 */
import { decodeFrame, PCM16_8K } from '@switchboard/media';
import { type SipCallLeg, SipServer } from '@switchboard/telephony';
import { readMarker, writeMarker } from '../platform-load/marker.js';
import { monotonicMs, runSlots, summarize } from '../stats.js';

interface Args {
  mode: 'setup' | 'hold';
  /** host:port of the proxy. */
  target: string;
  rate: number;
  seconds: number;
  calls: number;
  holdMs: number;
  rtpMin: number;
}

const a = JSON.parse(process.argv[2] ?? '{}') as Args;
const FRAME_MS = 20;
setTimeout(() => {
  process.stderr.write('sip-workers caller: gave up\n');
  process.exit(2);
}, 180_000).unref();

const total = a.mode === 'setup' ? Math.round(a.rate * a.seconds) : a.calls;
const server = new SipServer({
  port: 0,
  transports: ['udp'],
  rtpPortRange: [a.rtpMin, a.rtpMin + 2 * total + 200],
  mediaTimeoutMs: 0,
});
await server.start();
const setups: number[] = [];
let failed = 0;
const errors = new Map<string, number>();
const dialOne = async (): Promise<SipCallLeg | undefined> => {
  const t0 = performance.now();
  try {
    const leg = await server.dial({ to: `sip:demo@${a.target}`, timeoutMs: 15_000 });
    setups.push(performance.now() - t0);
    return leg;
  } catch (e) {
    failed++;
    const m = e instanceof Error ? e.message.slice(0, 80) : String(e);
    errors.set(m, (errors.get(m) ?? 0) + 1);
    return undefined;
  }
};

const start = performance.now();
let framesBack = 0;
let framesSent = 0;
let roundTrip = { p50: Number.NaN, p99: Number.NaN };
if (a.mode === 'setup') {
  await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const due = start + (i * 1000) / a.rate;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      const leg = await dialOne();
      if (!leg) return;
      void (async () => {
        for await (const _f of leg.audio);
      })();
      await new Promise((r) => setTimeout(r, a.holdMs));
      await leg.hangup().catch(() => {});
    }),
  );
} else {
  const legs: SipCallLeg[] = [];
  const rtts: number[] = [];
  let counting = false;
  await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 5));
      const leg = await dialOne();
      if (!leg) return;
      legs.push(leg);
      const call = legs.length - 1;
      void (async () => {
        for await (const f of leg.audio) {
          if (!counting) continue;
          const samples = decodeFrame(f);
          const m = readMarker(
            Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength),
            0,
            monotonicMs(),
          );
          if (m?.call !== call) continue;
          framesBack++;
          rtts.push(monotonicMs() - m.sentMs);
        }
      })();
    }),
  );
  const slots: number[][] = Array.from({ length: FRAME_MS }, () => []);
  for (let i = 0; i < legs.length; i++) slots[i % FRAME_MS]!.push(i);
  const seq = new Array<number>(legs.length).fill(0);
  counting = true;
  await runSlots({
    slots: a.holdMs,
    onSlot: (k) => {
      for (const i of slots[k % FRAME_MS]!) {
        const pcm = Buffer.alloc(320);
        writeMarker(pcm, 0, i, seq[i]!++, monotonicMs());
        legs[i]!.play({ format: PCM16_8K, data: pcm });
        framesSent++;
      }
    },
  });
  // The last frames' echoes are still on the way.
  await new Promise((r) => setTimeout(r, 1000));
  counting = false;
  await Promise.all(legs.map((l) => l.hangup().catch(() => {})));
  const r = summarize(rtts);
  roundTrip = { p50: r.p50, p99: r.p99 };
}
const wallMs = performance.now() - start;
await server.stop();
const s = summarize(setups);
process.stdout.write(
  `${JSON.stringify({
    answered: setups.length,
    failed,
    errors: Object.fromEntries(errors),
    setupP50Ms: s.p50,
    setupP99Ms: s.p99,
    wallMs,
    framesSent,
    framesBack,
    roundTripP50Ms: roundTrip.p50,
    roundTripP99Ms: roundTrip.p99,
  })}\n`,
);
process.exit(0);

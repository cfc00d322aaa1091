/**
 * Engine overhead with zero-latency fake providers: what the platform itself adds.
 *   node --expose-gc --import tsx bench/engine.ts [--quick]
 * 1. end-of-turn decision → first audio frame to the carrier (p50/p99), real clock
 * 2. caller speech onset → leg.clear() on barge-in (thresholds 0: the protocol's own cost)
 * 3. CPU and memory per concurrent session, 200 sessions with audio flowing both ways (the
 *    media package's default VAD on every caller frame, the pacer on every agent frame)
 * 4. heap after 1k / 5k / 10k sequential sessions (after GC): should be flat
 */

import type { AgentConfigInput } from '@switchboard/core';
import {
  type CallResult,
  CallSession,
  defaultVadFactory,
  FakeAsr,
  FakeCallLeg,
  FakeLlm,
  FakeProviderFactory,
  FakeTts,
  fakeVadFactory,
  SessionHarness,
  snapshotOf,
  type VadFactory,
} from '@switchboard/engine';
import { initMedia } from '@switchboard/media';

const quick = process.argv.includes('--quick');
const gc = (globalThis as { gc?: () => void }).gc;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const mb = (b: number) => b / 1024 / 1024;

class TimedLeg extends FakeCallLeg {
  onClear: (() => void) | undefined;
  readonly createdAt = performance.now();
  firstPlayAt: number | undefined;
  override play(frame: Parameters<FakeCallLeg['play']>[0]): void {
    this.firstPlayAt ??= performance.now();
    super.play(frame);
  }
  override clear(): void {
    super.clear();
    this.onClear?.();
  }
}

function realSession(
  config: AgentConfigInput,
  o: { utterances?: number; vad?: VadFactory; msPerWord?: number } = {},
) {
  const leg = new TimedLeg();
  leg.keepFrames = false;
  const factory = new FakeProviderFactory({
    asr: {
      'local:a': new FakeAsr({ utterances: Array.from({ length: o.utterances ?? 0 }, () => 'hello there') }),
    },
    llm: { 'local:l': new FakeLlm({ replies: ['Okay.'] }) },
    tts: { 'local:t': new FakeTts({ msPerWord: o.msPerWord ?? 300 }) },
  });
  const session = new CallSession({
    leg,
    snapshot: snapshotOf({ providers: { asr: ['local:a'], llm: ['local:l'], tts: ['local:t'] }, ...config }),
    providers: factory,
    emit: () => {},
    vadFactory: o.vad ?? fakeVadFactory,
  });
  return { leg, session, done: session.start() };
}

async function turnOverhead(sessions: number, turns: number): Promise<number[]> {
  const eot = 100;
  const samples: number[] = [];
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      const s = realSession(
        { turnTaking: { endOfTurnSilenceMs: eot } },
        { utterances: turns, msPerWord: 40 },
      );
      await wait(20);
      for (let i = 0; i < turns; i++) {
        for (let f = 0; f < 5; f++) s.leg.pushSpeech();
        s.leg.pushSilence();
        const before = s.leg.playedMs;
        while (s.leg.playedMs === before) await wait(1);
        await wait(100);
      }
      s.leg.callerHangup();
      const r: CallResult = await s.done;
      for (const t of r.latencies) {
        if (t.firstAudioSentMs !== undefined && t.callerStoppedMs !== undefined) {
          samples.push(t.firstAudioSentMs - t.callerStoppedMs - eot);
        }
      }
    }),
  );
  return samples;
}

async function bargeIn(samples: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const s = realSession({
      greeting: 'word '.repeat(50),
      turnTaking: { minInterruptionMs: 0, minInterruptionWords: 0 },
    });
    while (s.leg.playedMs < 100) await wait(1);
    const cleared = new Promise<number>((resolve) => {
      s.leg.onClear = () => resolve(performance.now());
    });
    const t0 = performance.now();
    s.leg.pushSpeech();
    out.push((await cleared) - t0);
    s.leg.callerHangup();
    await s.done;
  }
  return out;
}

async function concurrent(n: number, seconds: number) {
  gc?.();
  const base = process.memoryUsage();
  const calls = Array.from({ length: n }, () =>
    realSession({ greeting: 'word '.repeat(Math.ceil((seconds + 3) * 4)) }, { vad: defaultVadFactory }),
  );
  const feed = setInterval(() => {
    for (const c of calls) c.leg.pushSilence();
  }, 20);
  await wait(1000);
  gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await wait(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  gc?.();
  const mem = process.memoryUsage();
  const played = calls.reduce((a, c) => a + c.leg.playedMs, 0) / n;
  const startup = calls.map((c) => (c.leg.firstPlayAt ?? Number.NaN) - c.leg.createdAt);
  clearInterval(feed);
  for (const c of calls) c.leg.callerHangup();
  await Promise.all(calls.map((c) => c.done));
  return {
    cpuPctPerSession: ((cpu.user + cpu.system) / 1e6 / elapsed / n) * 100,
    heapKbPerSession: (mem.heapUsed - base.heapUsed) / 1024 / n,
    rssKbPerSession: (mem.rss - base.rss) / 1024 / n,
    playedSecondsPerSession: played / 1000,
    startup,
    elapsed,
  };
}

async function sequential(total: number, checkpoints: number[]) {
  const heap: [number, number][] = [];
  for (let i = 1; i <= total; i++) {
    const h = new SessionHarness({ config: { greeting: 'Hi.' }, asr: { utterances: ['hello'] } });
    h.leg.keepFrames = false;
    await h.start();
    await h.advance(300, 20);
    await h.speak(60);
    await h.silence(20);
    await h.advance(1200, 20);
    await h.hangup();
    if (checkpoints.includes(i)) {
      gc?.();
      await wait(10);
      gc?.();
      heap.push([i, mb(process.memoryUsage().heapUsed)]);
    }
  }
  return heap;
}

await initMedia();
if (!gc) console.warn('run with --expose-gc for meaningful memory figures');
const overhead = await turnOverhead(10, quick ? 5 : 20);
const barge = await bargeIn(quick ? 10 : 50);
const conc = await concurrent(quick ? 50 : 200, quick ? 3 : 8);
const seqTotal = quick ? 1000 : 10_000;
const seq = await sequential(seqTotal, quick ? [100, 500, 1000] : [1000, 5000, 10_000]);

const rows: [string, string][] = [
  ['end-of-turn → first audio out, p50', `${pct(overhead, 50).toFixed(2)} ms (n=${overhead.length})`],
  ['end-of-turn → first audio out, p99', `${pct(overhead, 99).toFixed(2)} ms`],
  ['barge-in onset → leg.clear(), p50', `${pct(barge, 50).toFixed(2)} ms (n=${barge.length})`],
  ['barge-in onset → leg.clear(), p99', `${pct(barge, 99).toFixed(2)} ms`],
  [`CPU per session (${quick ? 50 : 200} concurrent)`, `${conc.cpuPctPerSession.toFixed(3)} % of one core`],
  ['heap per session', `${conc.heapKbPerSession.toFixed(0)} KiB`],
  ['rss per session', `${conc.rssKbPerSession.toFixed(0)} KiB`],
  ['start → first greeting audio, p50 (200 at once)', `${pct(conc.startup, 50).toFixed(0)} ms`],
  ['start → first greeting audio, p99 (200 at once)', `${pct(conc.startup, 99).toFixed(0)} ms`],
  [
    'audio paced per session',
    `${conc.playedSecondsPerSession.toFixed(1)} s in ${conc.elapsed.toFixed(1)} s window+1 s`,
  ],
  ...seq.map(([n, h]): [string, string] => [
    `heap after ${n} sequential sessions (GC)`,
    `${h.toFixed(1)} MiB`,
  ]),
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log('\nengine benchmark (zero-latency fakes)\n');
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);

/**
 * Media hot paths, measured: G.711, resampling, format conversion, VAD per 20 ms frame, and the
 * real-time pacer's timing under load (200 concurrent pacers on one event loop).
 * Usage: node --import tsx bench/media.ts [pacerSeconds=10] [pacers=200]
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type AudioFrame,
  createResampler,
  EnergyVad,
  FormatConverter,
  initMedia,
  MULAW_8K,
  mulawDecode,
  mulawEncode,
  noiseSamples,
  Pacer,
  PCM16_8K,
  PCM16_16K,
  PCM16_24K,
  SileroVad,
  sineFrame,
  sineSamples,
} from '../packages/media/src/index.js';
import { printTable, summarize } from './stats.js';

const PACER_SECONDS = Number(process.argv[2] ?? 10);
const PACERS = Number(process.argv[3] ?? 200);
const rows: Record<string, string | number>[] = [];

/** Average µs per call over `iterations`, after a warm-up. */
function timeSync(label: string, iterations: number, fn: () => void): void {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn();
  const t = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const us = ((performance.now() - t) * 1000) / iterations;
  rows.push({ operation: label, 'µs/frame': us, 'x realtime (20 ms)': Math.round(20_000 / us) });
}

async function timeAsync(label: string, iterations: number, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 100; i++) await fn();
  const each: number[] = [];
  const t = performance.now();
  for (let i = 0; i < iterations; i++) {
    const s = performance.now();
    await fn();
    each.push((performance.now() - s) * 1000);
  }
  const us = ((performance.now() - t) * 1000) / iterations;
  const st = summarize(each);
  rows.push({
    operation: `${label} (p99 ${st.p99.toFixed(0)} µs)`,
    'µs/frame': us,
    'x realtime (20 ms)': Math.round(20_000 / us),
  });
}

async function microbenchmarks(): Promise<void> {
  const mu = mulawEncode(sineSamples(440, 8000, 20, 0.3));
  const decoded = new Int16Array(160);
  const encoded = new Uint8Array(160);
  timeSync('μ-law decode 160 B (reused buffer)', 200_000, () => mulawDecode(mu, decoded));
  timeSync('μ-law encode 160 samples (reused buffer)', 200_000, () => mulawEncode(decoded, encoded));

  const up = createResampler(8000, 16000);
  const in8 = sineSamples(440, 8000, 20);
  timeSync('resample 8k→16k (q4)', 50_000, () => up.process(in8));
  up.destroy();
  const down = createResampler(24000, 8000);
  const in24 = sineSamples(440, 24000, 20);
  timeSync('resample 24k→8k (q5)', 50_000, () => down.process(in24));
  down.destroy();

  const pass = new FormatConverter(MULAW_8K, MULAW_8K);
  const muFrame: AudioFrame = { format: MULAW_8K, data: mu };
  timeSync('FormatConverter passthrough μ-law', 1_000_000, () => pass.convert(muFrame));
  const toPcm = new FormatConverter(MULAW_8K, PCM16_16K);
  timeSync('FormatConverter μ-law 8k → pcm16 16k', 50_000, () => toPcm.convert(muFrame));
  toPcm.destroy();
  const fromAi = new FormatConverter(PCM16_24K, MULAW_8K);
  const aiFrame = sineFrame(440, PCM16_24K, 20);
  timeSync('FormatConverter pcm16 24k → μ-law 8k', 50_000, () => fromAi.convert(aiFrame));
  fromAi.destroy();

  const energy = new EnergyVad({ sampleRate: 8000 });
  const noisy = { format: PCM16_8K, data: new Uint8Array(noiseSamples(8000, 20, 0.1).buffer) };
  timeSync('EnergyVad 20 ms pcm16 8k', 100_000, () => energy.processSync(noisy));

  const s8 = await SileroVad.create({ sampleRate: 8000 });
  await timeAsync('SileroVad 8k, 20 ms μ-law frames', 5_000, () => s8.process(muFrame));
  s8.close();
  const s16 = await SileroVad.create({ sampleRate: 16000 });
  const f16 = sineFrame(440, PCM16_16K, 20);
  await timeAsync('SileroVad 16k, 20 ms pcm16 frames', 5_000, () => s16.process(f16));
  s16.close();
  printTable('Per-frame cost (one stream, one core)', rows);
}

/** Runs `PACERS` pacers with random phases for `PACER_SECONDS`; lateness vs each frame's deadline. */
async function pacerJitter(spinMs: number): Promise<Record<string, string | number>> {
  const lateness: number[] = [];
  const frameBytes = 160;
  const audio = new Uint8Array(PACER_SECONDS * 50 * frameBytes).fill(0xff);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const load = loadavg()[0]!;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let done = 0;
  let frames = 0;
  let stalls = 0;
  await new Promise<void>((resolve) => {
    for (let p = 0; p < PACERS; p++) {
      setTimeout(() => {
        const pacer: Pacer = new Pacer({
          format: MULAW_8K,
          spinMs,
          onFrame: () => {
            lateness.push(pacer.stats.lastLatenessMs);
            frames++;
          },
          onIdle: () => {
            stalls += pacer.stats.stalls;
            pacer.close();
            if (++done === PACERS) resolve();
          },
        });
        pacer.push({ format: MULAW_8K, data: audio });
      }, Math.random() * 20);
    }
  });
  const wall = performance.now() - wall0;
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const st = summarize(lateness);
  return {
    spinMs,
    pacers: PACERS,
    frames,
    'late p50 ms': st.p50,
    'late p99 ms': st.p99,
    'late max ms': st.max,
    'stalls (all pacers)': stalls,
    'CPU % of one core': Math.round(((cpu.user + cpu.system) / 1000 / wall) * 1000) / 10,
    // Stalls of the whole event loop (GC, other processes on the host) show up here, not as pacer error.
    'loop delay max ms': loop.max / 1e6,
    'host load avg': load,
  };
}

await initMedia();
await microbenchmarks();
const pacerRows: Record<string, string | number>[] = [];
for (const spin of [0, 1, 2]) pacerRows.push(await pacerJitter(spin));
printTable(
  `Pacer: ${PACERS} concurrent pacers × ${PACER_SECONDS} s, lateness of each frame vs its deadline`,
  pacerRows,
);

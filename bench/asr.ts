/**
 * Offline speech recognition on phone audio: the built-in recogniser (local:soundswallower, npm
 * only) against the system one (local:pocketsphinx, Debian's pocketsphinx), on the demo agent's
 * questions and replies spoken by several voices and speeds, every clip through an 8 kHz G.711
 * μ-law round trip. Voices: eSpeak NG in WASM (always), plus flite and the espeak-ng CLI when
 * installed (with sox to convert). Prints accuracy, out-of-grammar rejection, speed, latency and
 * memory. Run: npm run bench -- asr   (about a minute; SHORT=1 for a quick look)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AsrEvent, AsrProvider } from '@switchboard/engine';
import { type AudioFrame, frameDurationMs, initMedia, MULAW_8K, silence } from '@switchboard/media';
import {
  AnswererLlm,
  EspeakTts,
  findBinary,
  PocketsphinxAsr,
  SoundSwallowerAsr,
  sharedDecoderPool,
  soundSwallowerRuntime,
} from '@switchboard/providers';
import { lcs, printTable } from './stats.js';

const SHORT = process.env.SHORT === '1';

/** The demo receptionist's expected phrases and FAQ (packages/server/src/bootstrap.ts). */
const PHRASES = [
  'what are your opening hours',
  'where are you located',
  'i would like to book a table',
  'can i speak to a manager',
  'goodbye',
];
const FAQ = [
  {
    question: 'What are your opening hours?',
    answer: 'hours',
    keywords: ['hours', 'open', 'opening', 'close'],
  },
  {
    question: 'Where are you located?',
    answer: 'location',
    keywords: ['where', 'located', 'address', 'location'],
  },
  {
    question: 'I would like to book a table.',
    answer: 'booking',
    keywords: ['book', 'table', 'reservation', 'reserve'],
  },
];
/** What callers say: the questions, then short replies the recognisers add to every grammar. */
const IN_GRAMMAR = [
  'What are your opening hours?',
  'Where are you located?',
  'I would like to book a table.',
  'Can I speak to a manager?',
  'Goodbye.',
  'Yes, please.',
  'No, thank you.',
  'Hang up.',
];
const OUT_OF_GRAMMAR = [
  'Do you have parking?',
  'What is the weather like today?',
  'My name is John Smith.',
  'Can you repeat that please?',
];

interface Clip {
  voice: string;
  text: string;
  frames: AudioFrame[];
}

const expected = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z' ]/g, '')
    .trim();

/** 20 ms μ-law frames of `mulaw` bytes. */
function toFrames(mulaw: Uint8Array): AudioFrame[] {
  const out: AudioFrame[] = [];
  for (let i = 0; i < mulaw.length; i += 160)
    out.push({ format: MULAW_8K, data: mulaw.subarray(i, i + 160) });
  return out;
}

async function espeakWasm(text: string, voice: string, wpm: number): Promise<AudioFrame[]> {
  const tts = new EspeakTts({ voice, wordsPerMinute: wpm });
  const frames: AudioFrame[] = [];
  for await (const f of tts.synthesize({ text, format: MULAW_8K, signal: new AbortController().signal })) {
    frames.push({ format: f.format, data: f.data.slice() });
  }
  return frames;
}

/** A system voice's WAV through sox to 8 kHz μ-law (the telephone round trip). */
function systemVoice(argv: (wav: string, text: string) => string[], dir: string, text: string): AudioFrame[] {
  const wav = join(dir, 'clip.wav');
  const [bin, ...args] = argv(wav, text.replace(/[?.!,]/g, '')) as [string, ...string[]];
  if (spawnSync(bin, args, { stdio: 'ignore' }).status !== 0) throw new Error(`${bin} failed`);
  const sox = spawnSync('sox', [wav, '-r', '8000', '-c', '1', '-e', 'mu-law', '-t', 'raw', '-'], {
    maxBuffer: 1 << 24,
  });
  if (sox.status !== 0) throw new Error('sox failed');
  return toFrames(new Uint8Array(sox.stdout));
}

const SYSTEM_VOICES: [string, string, (wav: string, text: string) => string[]][] = [
  ['flite kal (8 kHz)', 'flite', (wav, text) => ['flite', '-voice', 'kal', '-t', text, '-o', wav]],
  ['flite slt', 'flite', (wav, text) => ['flite', '-voice', 'slt', '-t', text, '-o', wav]],
  [
    'espeak-ng en-us+f3 150',
    'espeak-ng',
    (wav, text) => ['espeak-ng', '-v', 'en-us+f3', '-s', '150', '-w', wav, text],
  ],
];

async function corpus(texts: string[]): Promise<Clip[]> {
  const clips: Clip[] = [];
  const wasm: [string, number][] = SHORT
    ? [['en-us', 175]]
    : [
        ['en-us', 140],
        ['en-us', 175],
        ['en-us', 210],
        ['en-gb-x-rp', 160],
        ['en', 190],
      ];
  for (const [voice, wpm] of wasm) {
    for (const text of texts)
      clips.push({ voice: `espeak-wasm ${voice} ${wpm}`, text, frames: await espeakWasm(text, voice, wpm) });
  }
  if (!SHORT && findBinary('sox')) {
    const dir = await mkdtemp(join(tmpdir(), 'bench-asr-'));
    try {
      for (const [voice, bin, argv] of SYSTEM_VOICES) {
        if (!findBinary(bin as 'flite')) continue;
        for (const text of texts) clips.push({ voice, text, frames: systemVoice(argv, dir, text) });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return clips;
}

interface Heard {
  text: string;
  confidence?: number;
}

/** One stream per clip, fed as fast as the recogniser takes it; the finals and the wall time. */
async function decodeClip(
  asr: AsrProvider,
  clip: Clip,
): Promise<{ heard: Heard[]; wallMs: number; audioMs: number }> {
  const stream = await asr.connect({
    format: MULAW_8K,
    language: 'en-US',
    phrases: PHRASES,
    signal: new AbortController().signal,
  });
  const heard: Heard[] = [];
  const reading = (async () => {
    for await (const ev of stream.events as AsyncIterable<AsrEvent>) {
      if (ev.type === 'final')
        heard.push({ text: ev.text, ...(ev.confidence !== undefined ? { confidence: ev.confidence } : {}) });
    }
  })();
  const pad = silence(MULAW_8K, 20);
  const frames = [
    ...Array.from({ length: 25 }, () => pad),
    ...clip.frames,
    ...Array.from({ length: 60 }, () => pad),
  ];
  const audioMs = frames.reduce((n, f) => n + frameDurationMs(f), 0);
  const t = performance.now();
  for (const [i, f] of frames.entries()) {
    stream.push(f);
    if (i % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  await stream.close();
  await reading;
  return { heard, wallMs: performance.now() - t, audioMs };
}

/** RSS of this process's child processes and theirs (the recognisers behind their shells), in MB. */
function descendantsRssMb(): number {
  const rows = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,rss=']).stdout.toString().trim().split('\n');
  const procs = rows.map((r) => r.trim().split(/\s+/).map(Number) as [number, number, number]);
  const mine = new Set([process.pid]);
  let kb = 0;
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid, rss] of procs) {
      if (mine.has(ppid) && !mine.has(pid)) {
        mine.add(pid);
        kb += rss;
        grew = true;
      }
    }
  }
  return kb / 1024;
}

/** `n` concurrent calls, all speaking at once: memory they add (MB per call). */
async function concurrentMemory(
  name: string,
  make: () => AsrProvider,
  clip: Clip,
  n: number,
): Promise<number> {
  globalThis.gc?.();
  const before = process.memoryUsage().rss / 1e6;
  const heapBefore = (await soundSwallowerRuntime()).heapBytes / 1e6;
  const streams = await Promise.all(
    Array.from({ length: n }, () =>
      make().connect({
        format: MULAW_8K,
        language: 'en-US',
        phrases: PHRASES,
        signal: new AbortController().signal,
      }),
    ),
  );
  const readers = streams.map((s) =>
    (async () => {
      for await (const _ of s.events) {
        // drain
      }
    })(),
  );
  const pad = silence(MULAW_8K, 20);
  for (let i = 0; i < 25; i++) for (const s of streams) s.push(pad);
  // Half the utterance: every call is mid-sentence when memory is read.
  for (const f of clip.frames.slice(0, clip.frames.length >> 1)) {
    for (const s of streams) s.push(f);
  }
  await new Promise((r) => setTimeout(r, 300));
  // pocketsphinx: the recogniser processes, while the calls are open.
  const children = descendantsRssMb();
  await Promise.all(streams.map((s) => s.close()));
  await Promise.all(readers);
  if (name === 'pocketsphinx') return children / n;
  // soundswallower: the WASM heap's high-water growth once every call's utterance was decoded (the
  // heap never shrinks, and RSS lags it until pages are touched).
  const heap = (await soundSwallowerRuntime()).heapBytes / 1e6 - heapBefore;
  return Math.max(heap, process.memoryUsage().rss / 1e6 - before) / n;
}

/** Latency from the end of speech to the final, feeding in real time (20 ms frames). */
async function realTimeLatency(asr: AsrProvider, clips: Clip[]): Promise<number[]> {
  const stream = await asr.connect({
    format: MULAW_8K,
    language: 'en-US',
    phrases: PHRASES,
    signal: new AbortController().signal,
  });
  let speechEnd = 0;
  const out: number[] = [];
  const reading = (async () => {
    for await (const ev of stream.events) if (ev.type === 'final') out.push(performance.now() - speechEnd);
  })();
  const pad = silence(MULAW_8K, 20);
  let next = performance.now();
  const send = async (f: AudioFrame) => {
    next += 20;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    stream.push(f);
  };
  for (const c of clips) {
    for (let i = 0; i < 25; i++) await send(pad);
    for (const f of c.frames) await send(f);
    speechEnd = performance.now();
    for (let i = 0; i < 75; i++) await send(pad);
  }
  await stream.close();
  await reading;
  return out;
}

/** CPU time of this process and its reaped children (the recognisers), from /proc/self/stat. */
function cpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // Fields 14-17 of stat (utime stime cutime cstime), counted from the state field (3).
  return ((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) * 10;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

await initMedia();
const rssStart = process.memoryUsage().rss / 1e6;
const inClips = await corpus(IN_GRAMMAR);
const oogClips = await corpus(OUT_OF_GRAMMAR);
const voices = [...new Set(inClips.map((c) => c.voice))];
const answerer = new AnswererLlm({ faq: FAQ });

const recognisers: [string, () => AsrProvider][] = [['soundswallower', () => new SoundSwallowerAsr()]];
if (findBinary('pocketsphinx_continuous')) {
  // Fed faster than real time on a shared machine, the child can take seconds to print its last
  // final; it exits on its own once it has, so a long grace costs nothing.
  recognisers.push(['pocketsphinx', () => new PocketsphinxAsr({ closeGraceMs: 20_000 })]);
}

const accuracy: Record<string, string | number>[] = [];
const perVoice: Record<string, string | number>[] = [];
const cost: Record<string, string | number>[] = [];
for (const [name, make] of recognisers) {
  let words = 0;
  let hits = 0;
  let exact = 0;
  let answered = 0;
  let confident = 0;
  let wallMs = 0;
  let audioMs = 0;
  let cpu = 0;
  const byVoice = new Map<string, [number, number]>();
  // Memory first, before earlier runs have grown the decoder pool: loading (one idle slot), then
  // calls that all speak at once (each holds a slot).
  globalThis.gc?.();
  const rssBefore = process.memoryUsage().rss / 1e6;
  const first = await make().connect({
    format: MULAW_8K,
    language: 'en-US',
    phrases: PHRASES,
    signal: new AbortController().signal,
  });
  await first.close();
  globalThis.gc?.();
  const loadMb = process.memoryUsage().rss / 1e6 - rssBefore;
  const perCall = await concurrentMemory(name, make, inClips[0] as Clip, SHORT ? 4 : 10);
  const cpuStart = cpuMs();
  for (const clip of inClips) {
    const r = await decodeClip(make(), clip);
    wallMs += r.wallMs;
    audioMs += r.audioMs;
    const want = expected(clip.text).replace(/,/g, '');
    const got = r.heard.map((h) => h.text).join(' ');
    const w = want.split(' ');
    words += w.length;
    hits += lcs(w, got.split(' ').filter(Boolean));
    const ok = got === want;
    if (process.env.DEBUG)
      process.stdout.write(`${name} ${clip.voice}: ${want} => ${JSON.stringify(r.heard)}\n`);
    if (ok) exact++;
    if (ok && r.heard.every((h) => (h.confidence ?? 1) >= 0.5)) confident++;
    // The agent's view: does the heard text reach the same FAQ entry (or none) as the words said?
    if (answerer.answer(got).matched === answerer.answer(want).matched && got !== '') answered++;
    const v = byVoice.get(clip.voice) ?? [0, 0];
    byVoice.set(clip.voice, [v[0] + (ok ? 1 : 0), v[1] + 1]);
  }
  cpu = cpuMs() - cpuStart;
  let accepted = 0;
  for (const clip of oogClips) {
    const r = await decodeClip(make(), clip);
    // Taken as said: a final the recogniser is confident in (pocketsphinx reports no confidence).
    if (r.heard.some((h) => (h.confidence ?? 1) >= 0.5)) accepted++;
  }
  accuracy.push({
    recogniser: name,
    clips: inClips.length,
    'exact phrase %': f1((100 * exact) / inClips.length),
    'words correct %': f1((100 * hits) / words),
    'exact + confident %': f1((100 * confident) / inClips.length),
    'same FAQ answer %': f1((100 * answered) / inClips.length),
    'out-of-grammar taken as a phrase': `${accepted}/${oogClips.length}`,
  });
  for (const v of voices) {
    const [ok, n] = byVoice.get(v) ?? [0, 0];
    perVoice.push({ recogniser: name, voice: v, exact: `${ok}/${n}` });
  }
  const latencies = await realTimeLatency(make(), inClips.slice(0, SHORT ? 2 : 4));
  cost.push({
    recogniser: name,
    'CPU / audio': (cpu / audioMs).toFixed(3),
    'wall / audio': (wallMs / audioMs).toFixed(3),
    'end of speech → final ms (p50)': f1(median(latencies)),
    'RSS added by loading MB': name === 'soundswallower' ? f1(loadMb) : '0 (one child per call)',
    'MB per concurrent speaking call': f1(perCall),
  });
}
if (recognisers.length === 1) cost.push({ recogniser: 'pocketsphinx', 'CPU / audio': 'not installed' });
const pool = await sharedDecoderPool();
printTable('Accuracy on G.711 μ-law (demo phrases + short replies; out-of-grammar questions)', accuracy);
printTable('Exact phrases per voice', perVoice);
printTable('Speed and memory', cost);
process.stdout.write(
  `\nsoundswallower decoder slots after the run: ${pool.stats.slots} (busy ${pool.stats.busy}); WASM heap ${f1((await soundSwallowerRuntime()).heapBytes / 1e6)} MB; process RSS ${f1(process.memoryUsage().rss / 1e6)} MB (started at ${f1(rssStart)} MB)\n`,
);
pool.close();

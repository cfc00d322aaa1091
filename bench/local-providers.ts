/**
 * Offline provider bench: espeak-ng and flite synthesis time per sentence and real-time factor,
 * pocketsphinx latency from the end of an utterance to its final (grammar and open LM, audio fed
 * in real time as a call would), and the answerer's time per query.
 * Run: node --import tsx bench/local-providers.ts
 */
import { agentConfigSchema } from '@switchboard/core';
import type { AsrEvent, TtsProvider } from '@switchboard/engine';
import { type AudioFrame, frameDurationMs, initMedia, MULAW_8K, PCM16_8K, silence } from '@switchboard/media';
import { AnswererLlm, EspeakTts, FliteTts, findBinary, PocketsphinxAsr } from '@switchboard/providers';
import { lcs } from './stats.js';

const SENTENCES = [
  'Thank you for calling Harbour Street Dental.',
  'We are open from nine to five, Monday to Saturday.',
  'You can book an appointment by phone or on our website.',
  'Our address is twelve Harbour Street, next to the station.',
  'Could you tell me your date of birth, please?',
  'I have found a free slot tomorrow at ten in the morning.',
  'Is there anything else I can help you with today?',
  'Sorry, I did not catch that. Could you say it again?',
];
const PHRASES = [
  'What are your opening hours?',
  'I would like to book a table for two.',
  'Can I speak to a manager, please?',
  'Please cancel my appointment for tomorrow.',
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const rows: Record<string, string>[] = [];

async function synthBench(name: string, tts: TtsProvider) {
  const signal = new AbortController().signal;
  const t0 = performance.now();
  await tts.prepare(signal);
  const prepareMs = performance.now() - t0;
  // One warm-up pass so the table shows steady-state cost (a fresh WASM instance starts slow).
  for (const text of SENTENCES) {
    for await (const _ of tts.synthesize({ text, format: MULAW_8K, signal })) {
      // discard
    }
  }
  const per: number[] = [];
  let audioMs = 0;
  let wallMs = 0;
  for (let round = 0; round < 3; round++) {
    for (const text of SENTENCES) {
      const s = performance.now();
      for await (const f of tts.synthesize({ text, format: MULAW_8K, signal })) audioMs += frameDurationMs(f);
      const ms = performance.now() - s;
      per.push(ms);
      wallMs += ms;
    }
  }
  rows.push({
    provider: name,
    metric: 'ms per sentence → 8 kHz μ-law',
    p50: fmt(pct(per, 50)),
    p95: fmt(pct(per, 95)),
    extra: `RTF ${fmt(wallMs / audioMs, 4)}; prepare ${fmt(prepareMs, 0)} ms; n=${per.length}`,
  });
  await tts.close();
}

async function speakAll(tts: TtsProvider): Promise<AudioFrame[][]> {
  const out: AudioFrame[][] = [];
  for (const text of PHRASES) {
    const frames: AudioFrame[] = [];
    for await (const f of tts.synthesize({ text, format: PCM16_8K, signal: new AbortController().signal })) {
      frames.push(f);
    }
    out.push(frames);
  }
  return out;
}

/** Feeds utterances in real time (20 ms frames) with silence between; latency = final − end of speech. */
async function asrBench(label: string, utterances: AudioFrame[][], phrases: string[]) {
  const ctrl = new AbortController();
  const stream = await new PocketsphinxAsr().connect({
    format: PCM16_8K,
    language: 'en-US',
    phrases,
    signal: ctrl.signal,
  });
  let lastSpeechEnd = 0;
  const latencies: number[] = [];
  const texts: string[] = [];
  const reading = (async () => {
    for await (const ev of stream.events as AsyncIterable<AsrEvent>) {
      if (ev.type === 'final') {
        latencies.push(performance.now() - lastSpeechEnd);
        texts.push(ev.text);
      }
    }
  })();
  const pad = silence(PCM16_8K, 20);
  let next = performance.now();
  const send = async (f: AudioFrame) => {
    next += frameDurationMs(f);
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    stream.push(f);
  };
  for (const frames of utterances) {
    for (let i = 0; i < 25; i++) await send(pad);
    for (const f of frames) await send(f);
    lastSpeechEnd = performance.now();
    for (let i = 0; i < 100; i++) await send(pad);
  }
  await stream.close();
  await reading;
  const expected = PHRASES.map((p) => p.toLowerCase().replace(/[^a-z ]/g, ''));
  const exact = texts.filter((t, i) => t === expected[i]).length;
  const words = expected.reduce((n, e) => n + e.split(' ').length, 0);
  const hits = expected.reduce((n, e, i) => n + lcs(e.split(' '), (texts[i] ?? '').split(' ')), 0);
  rows.push({
    provider: 'pocketsphinx',
    metric: `end of speech → final, ${label}`,
    p50: fmt(pct(latencies, 50), 0),
    p95: fmt(pct(latencies, 95), 0),
    extra: `${texts.length} finals, ${exact}/${PHRASES.length} exact, ${fmt((100 * hits) / words, 0)} % words`,
  });
}

function answererBench() {
  const faq = Array.from({ length: 40 }, (_, i) => ({
    question: `What about topic number ${i} and its details?`,
    answer: `Answer ${i}.`,
    keywords: [`topic${i}`, `detail${i}`],
  }));
  faq.push({
    question: 'What are your opening hours?',
    answer: 'Nine to five.',
    keywords: ['hours', 'open'],
  });
  const llm = new AnswererLlm(AnswererLlm.optionsFrom(agentConfigSchema.parse({ knowledge: { faq } })));
  const queries = [
    'when do you open on saturday',
    'tell me about topic17 please',
    'can I bring my dog',
    'bye',
    '3',
  ];
  const n = 20_000;
  for (let i = 0; i < 1000; i++) llm.answer(queries[i % queries.length] as string);
  const t = performance.now();
  for (let i = 0; i < n; i++) llm.answer(queries[i % queries.length] as string);
  rows.push({
    provider: 'answerer',
    metric: 'µs per query (41 FAQ entries)',
    p50: fmt(((performance.now() - t) / n) * 1000, 1),
    p95: '-',
    extra: `mean over ${n} queries`,
  });
}

await initMedia();
await synthBench('espeak (WASM)', new EspeakTts());
const hasFlite = findBinary('flite') !== undefined;
if (hasFlite) await synthBench('flite slt (child process)', new FliteTts({ voice: 'slt' }));
answererBench();
if (findBinary('pocketsphinx_continuous')) {
  const voice = hasFlite ? 'flite slt' : 'espeak';
  const audio = await speakAll(hasFlite ? new FliteTts({ voice: 'slt' }) : new EspeakTts());
  await asrBench(`grammar, ${voice} 8 kHz`, audio, PHRASES);
  await asrBench(`open LM, ${voice} 8 kHz`, audio, []);
} else {
  rows.push({ provider: 'pocketsphinx', metric: 'not installed', p50: '-', p95: '-', extra: '' });
}
console.table(rows);

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MachineDetector, type MachineEvent } from './machine-detector.js';
import { noiseSamples, sineSamples } from './testing.js';

const RATE = 8000;
const FRAME = 160;

/** Speech-like audio: syllables of a 120 Hz voice with harmonics and breath noise, short gaps between. */
function speech(ms: number, seed = 1): Int16Array {
  const out = new Int16Array(Math.round((RATE * ms) / 1000));
  const noise = noiseSamples(RATE, ms, 0.05, seed);
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    // 220 ms syllables, 60 ms dips between them (shorter than any pause).
    const inSyllable = t % 0.28 < 0.22;
    const f0 = 120 + 20 * Math.sin(2 * Math.PI * 3 * t);
    let v = 0;
    for (let h = 1; h <= 8; h++) v += Math.sin(2 * Math.PI * f0 * h * t) / h;
    out[i] = inSyllable ? Math.round(v * 5000 + (noise[i] ?? 0)) : Math.round((noise[i] ?? 0) / 10);
  }
  return out;
}

const silence = (ms: number) => new Int16Array(Math.round((RATE * ms) / 1000));

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Feeds 20 ms frames; returns each event with the time (ms) it came at. */
function run(audio: Int16Array, d = new MachineDetector({ sampleRate: RATE })): [MachineEvent, number][] {
  const events: [MachineEvent, number][] = [];
  for (let at = 0; at + FRAME <= audio.length; at += FRAME) {
    const e = d.push(audio.subarray(at, at + FRAME));
    if (e) events.push([e, ((at + FRAME) * 1000) / RATE]);
  }
  return events;
}

test('a greeting of continuous speech is a machine; its 1 kHz beep follows', () => {
  const events = run(concat(speech(5000), silence(600), sineSamples(1000, RATE, 400, 0.3), silence(1000)));
  assert.deepEqual(
    events.map(([e]) => e),
    ['machine', 'beep'],
  );
  const [machineAt, beepAt] = events.map(([, at]) => at);
  assert.ok(machineAt !== undefined && machineAt > 3500 && machineAt < 4000, `machine at ${machineAt}`);
  assert.ok(beepAt !== undefined && beepAt >= 5600 + 200 && beepAt < 5600 + 400, `beep at ${beepAt}`);
});

test('a speech-only greeting with no beep ends on its long pause', () => {
  const events = run(concat(speech(4500, 3), silence(3000)));
  assert.deepEqual(
    events.map(([e]) => e),
    ['machine', 'greeting-end'],
  );
});

test('a person’s short "hello?" and a pause is a human', () => {
  const events = run(concat(silence(400), speech(600, 5), silence(1500), speech(2000, 6)));
  assert.deepEqual(events, [['human', 400 + 600 + 800]]);
});

test('nobody speaking is taken as a person waiting (the agent greets them)', () => {
  assert.deepEqual(run(silence(6000)), [['human', 5000]]);
});

test('a beep between two filters (1020 Hz), even at once, is still a beep', () => {
  assert.deepEqual(
    run(concat(silence(300), sineSamples(1020, RATE, 300, 0.2))).map(([e]) => e),
    ['beep'],
  );
});

test('speech is never a beep, and a short blip of tone is not one either', () => {
  const d = new MachineDetector({ sampleRate: RATE, machineSpeechMs: 60_000 });
  const events = run(concat(speech(8000, 9), sineSamples(1000, RATE, 120, 0.3), silence(200)), d);
  assert.ok(!events.some(([e]) => e === 'beep'), JSON.stringify(events));
});

test('16 kHz audio works the same', () => {
  const d = new MachineDetector({ sampleRate: 16_000 });
  const tone = sineSamples(950, 16_000, 300, 0.3);
  const events: MachineEvent[] = [];
  for (let at = 0; at + 320 <= tone.length; at += 320) {
    const e = d.push(tone.subarray(at, at + 320));
    if (e) events.push(e);
  }
  assert.deepEqual(events, ['beep']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callWaterfall, type TurnMarks, turnWaterfall } from './waterfall';

const marks = (m: Partial<TurnMarks>): TurnMarks => ({
  turn: 1,
  callerStoppedMs: null,
  asrFinalMs: null,
  llmFirstTokenMs: null,
  ttsFirstAudioMs: null,
  firstAudioSentMs: null,
  ...m,
});

test('each stage runs from the previous mark to its own, counted from the end of speech', () => {
  const w = turnWaterfall(
    marks({
      callerStoppedMs: 10_000,
      asrFinalMs: 10_250,
      llmFirstTokenMs: 10_700,
      ttsFirstAudioMs: 10_900,
      firstAudioSentMs: 10_940,
    }),
  );
  assert.equal(w.originMs, 10_000);
  assert.deepEqual(
    w.segments.map((s) => [s.stage, s.startMs, s.endMs, s.durationMs]),
    [
      ['asr', 0, 250, 250],
      ['llm', 250, 700, 450],
      ['tts', 700, 900, 200],
      ['wire', 900, 940, 40],
    ],
  );
  assert.equal(w.totalMs, 940);
});

test('a stage that did not happen draws no bar; its time goes to the next stage', () => {
  // A greeting turn: no caller speech, no transcript, no model.
  const greeting = turnWaterfall(marks({ turn: 0, ttsFirstAudioMs: 300, firstAudioSentMs: 320 }));
  assert.equal(greeting.originMs, 300);
  assert.deepEqual(
    greeting.segments.map((s) => [s.stage, s.startMs, s.endMs]),
    [['wire', 0, 20]],
  );
  assert.equal(greeting.totalMs, 20);
  // The model's first token was not recorded: synthesis is measured from the final transcript.
  const gap = turnWaterfall(
    marks({ callerStoppedMs: 1000, asrFinalMs: 1200, ttsFirstAudioMs: 1900, firstAudioSentMs: 2000 }),
  );
  assert.deepEqual(
    gap.segments.map((s) => [s.stage, s.startMs, s.durationMs]),
    [
      ['asr', 0, 200],
      ['tts', 200, 700],
      ['wire', 900, 100],
    ],
  );
  assert.equal(gap.totalMs, 1000);
});

test('a mark earlier than the one before it draws a zero-length bar, never a negative one', () => {
  const w = turnWaterfall(marks({ callerStoppedMs: 5000, asrFinalMs: 4900, llmFirstTokenMs: 5300 }));
  assert.deepEqual(
    w.segments.map((s) => [s.stage, s.startMs, s.durationMs]),
    [
      ['asr', 0, 0],
      ['llm', 0, 300],
    ],
  );
  assert.equal(w.totalMs, 300);
});

test('a turn with no marks, or one mark, has no total', () => {
  assert.deepEqual(turnWaterfall(marks({})), { turn: 1, originMs: null, segments: [], totalMs: null });
  assert.equal(turnWaterfall(marks({ callerStoppedMs: 100 })).totalMs, null);
});

test('every turn of a call shares the scale of the longest', () => {
  const { turns, scaleMs } = callWaterfall([
    marks({ turn: 1, callerStoppedMs: 0, firstAudioSentMs: 700 }),
    marks({ turn: 2, callerStoppedMs: 5000, asrFinalMs: 5100, firstAudioSentMs: 6800 }),
  ]);
  assert.equal(turns.length, 2);
  assert.equal(scaleMs, 1800);
  assert.equal(callWaterfall([]).scaleMs, 1);
});

/**
 * A turn's latency waterfall from the stored marks (milliseconds from the call's start): end of
 * the caller's speech → final transcript → model's first token → first synthesised audio → that
 * audio sent. Each bar runs from the previous mark that happened to its own; a stage that did not
 * happen (null) draws no bar and its time falls to the next one. Pure: unit tested.
 */

export interface TurnMarks {
  turn: number;
  callerStoppedMs: number | null;
  asrFinalMs: number | null;
  llmFirstTokenMs: number | null;
  ttsFirstAudioMs: number | null;
  firstAudioSentMs: number | null;
}

export type Stage = 'asr' | 'llm' | 'tts' | 'wire';

export interface Segment {
  stage: Stage;
  label: string;
  /** From the end of the caller's speech (or the turn's first mark). */
  startMs: number;
  endMs: number;
  durationMs: number;
}

export interface TurnWaterfall {
  turn: number;
  /** The call-relative time the bars count from, or null when the turn has no mark at all. */
  originMs: number | null;
  segments: Segment[];
  /** End of speech to audio on the wire (to the last mark there is); null without two marks. */
  totalMs: number | null;
}

const STAGES: { stage: Stage; mark: keyof TurnMarks; label: string }[] = [
  { stage: 'asr', mark: 'asrFinalMs', label: 'Speech recognition final' },
  { stage: 'llm', mark: 'llmFirstTokenMs', label: 'Model first token' },
  { stage: 'tts', mark: 'ttsFirstAudioMs', label: 'Speech synthesis first audio' },
  { stage: 'wire', mark: 'firstAudioSentMs', label: 'Audio on the wire' },
];

export function turnWaterfall(m: TurnMarks): TurnWaterfall {
  const marks = [m.callerStoppedMs, ...STAGES.map((s) => m[s.mark] as number | null)];
  const originMs = marks.find((x) => x !== null) ?? null;
  if (originMs === null) return { turn: m.turn, originMs: null, segments: [], totalMs: null };
  const segments: Segment[] = [];
  let prev: number | null = m.callerStoppedMs;
  for (const s of STAGES) {
    const at = m[s.mark] as number | null;
    if (at === null) continue;
    if (prev !== null) {
      // Marks come from different components; one that lands before the previous draws a zero bar.
      const start = prev - originMs;
      const end = Math.max(at, prev) - originMs;
      segments.push({ stage: s.stage, label: s.label, startMs: start, endMs: end, durationMs: end - start });
    }
    prev = Math.max(at, prev ?? at);
  }
  const last = prev ?? originMs;
  const known = marks.filter((x) => x !== null).length;
  return { turn: m.turn, originMs, segments, totalMs: known >= 2 ? last - originMs : null };
}

/** Every turn's waterfall and the longest total, so all bars share one scale. */
export function callWaterfall(turns: TurnMarks[]): { turns: TurnWaterfall[]; scaleMs: number } {
  const all = turns.map(turnWaterfall);
  const scaleMs = Math.max(1, ...all.map((t) => (t.segments.length ? t.segments.at(-1)!.endMs : 0)));
  return { turns: all, scaleMs };
}

import type { CallOutcome, ControlSource, Logger, TransferStatus } from '@switchboard/core';
import { type AudioFormat, type AudioFrame, type Clock, encodeSamples, Pacer } from '@switchboard/media';
import { type CallLeg, ConsultFailed, type ConsultLeg } from '../call-leg.js';
import type { ProviderFactory } from '../providers/provider-factory.js';
import type { ProviderContext } from '../providers/types.js';
import type { OutputPlayer } from './output-player.js';
import type { EndRequest, Pipeline } from './session-core.js';
import type { SessionEvents } from './session-events.js';
import type { Transcript } from './transcript.js';

export interface WarmTransferRequest {
  target: string;
  /** Said to the person before the bridge; the agent's model writes one when absent. */
  summary?: string;
  hold: 'music' | 'silence';
  /** Ring time before the agent takes the caller back. */
  timeoutMs: number;
  by: ControlSource;
}

export interface WarmTransferDeps {
  leg: CallLeg;
  pipeline: Pipeline;
  player: OutputPlayer;
  events: SessionEvents;
  transcript: Transcript;
  clock: Clock;
  logger: Logger;
  /** Aborted when the call ends (the caller hung up meanwhile). */
  signal: AbortSignal;
  since(): number;
  /** While held, the caller's audio is recorded but no longer reaches the agent. */
  holdCaller(held: boolean): void;
  /** The agent's voice (or a local one) saying `text`, as frames of `format`. */
  speech(text: string, format: AudioFormat, signal: AbortSignal): AsyncIterable<AudioFrame>;
  end(request: EndRequest, outcome: CallOutcome): void;
}

export type WarmTransferResult = { bridged: true } | { bridged: false; reason: string };

/**
 * How the person hears the agent: the agent's own synthesiser, or the platform's local voice when
 * the agent speaks through a speech-to-speech model (which cannot be asked to speak elsewhere).
 */
export function agentSpeech(o: {
  pipeline: Pipeline;
  factory: ProviderFactory;
  localTts: string | undefined;
  ctx: ProviderContext;
}): WarmTransferDeps['speech'] {
  return async function* speech(text, format, signal) {
    if (o.pipeline.synthesize) {
      yield* o.pipeline.synthesize(text, format, signal);
      return;
    }
    if (!o.localTts) return;
    const tts = await o.factory.tts(o.localTts, o.ctx);
    try {
      await tts.prepare(signal);
      yield* tts.synthesize({ text, format, signal });
    } finally {
      await tts.close().catch(() => {});
    }
  };
}

/** Longest the person hears the summary for. */
const SUMMARY_CAP_MS = 30_000;
/** How long the agent's model may take to write a summary before a plain one is used. */
const SUMMARY_WRITE_MS = 8_000;

const FAILED_LINE: Record<string, string> = {
  busy: 'Sorry, the line I tried is busy right now.',
  'no-answer': 'Sorry, nobody answered.',
  rejected: 'Sorry, the call was declined.',
};

/**
 * Warm transfer: the caller holds (a soft tone or silence) while the connector calls the person;
 * once they answer they hear a summary of the call, then the two are bridged and the agent leaves
 * (outcome `transferred`). When nobody answers, the agent takes the caller back, says so and the
 * conversation goes on. Every step is reported as `transfer.status`.
 */
export async function warmTransfer(d: WarmTransferDeps, r: WarmTransferRequest): Promise<WarmTransferResult> {
  const consult = d.leg.consult?.bind(d.leg);
  if (!consult) throw new Error(`the ${d.leg.connector} connector cannot make a warm transfer`);
  const status = (s: TransferStatus['status'], reason?: string) =>
    d.events.send('transfer.status', {
      status: s,
      mode: 'warm',
      target: r.target,
      by: r.by,
      atMs: Math.round(d.since()),
      ...(reason ? { reason } : {}),
    });
  const note = (text: string) => {
    const at = Math.round(d.since());
    d.transcript.add({ role: 'tool', toolName: 'transfer', text, startMs: at, endMs: at });
  };
  status('attempted');
  note(`warm transfer to ${r.target}: calling`);
  d.pipeline.stopSpeaking();
  d.holdCaller(true);
  const hold = new AbortController();
  const onCallEnd = () => hold.abort();
  d.signal.addEventListener('abort', onCallEnd, { once: true });
  const holding =
    r.hold === 'music' ? playHold(d.player, d.leg.outputFormat, hold.signal) : Promise.resolve();
  const stopHold = async () => {
    hold.abort();
    d.player.interrupt();
    await holding;
  };
  let person: ConsultLeg | undefined;
  try {
    person = await consult(r.target, { timeoutMs: r.timeoutMs, signal: d.signal });
    status('answered');
    const summary = r.summary ?? (await writeSummary(d));
    note(`summary for ${r.target}: ${summary}`);
    await speakTo(d, person, summary);
    if (d.signal.aborted) throw new ConsultFailed('failed', 'the caller hung up');
    await stopHold();
    await person.bridge();
  } catch (e) {
    await stopHold();
    d.signal.removeEventListener('abort', onCallEnd);
    await person?.hangup().catch(() => {});
    const reason = d.signal.aborted ? 'caller-hangup' : e instanceof ConsultFailed ? e.reason : 'failed';
    d.logger.warn({ reason, err: e instanceof Error ? e.message : String(e) }, 'warm transfer failed');
    status('failed', reason);
    note(`warm transfer to ${r.target}: ${reason}`);
    if (!d.signal.aborted) {
      d.holdCaller(false);
      d.pipeline.addContext(
        `The transfer to ${r.target} did not connect (${reason}); the caller is back with you.`,
      );
      d.pipeline.say(
        `${FAILED_LINE[reason] ?? 'Sorry, I could not transfer the call.'} I'm still here to help.`,
        false,
      );
    }
    return { bridged: false, reason };
  }
  d.signal.removeEventListener('abort', onCallEnd);
  status('bridged');
  note(`warm transfer to ${r.target}: bridged`);
  d.end({ reason: 'transfer', hangup: false }, 'transferred');
  return { bridged: true };
}

/** The agent's model summarises the call; a plain line from the transcript when it cannot. */
async function writeSummary(d: WarmTransferDeps): Promise<string> {
  const fallback = plainSummary(d.transcript);
  if (!d.pipeline.summarize) return fallback;
  const ctrl = new AbortController();
  const onEnd = () => ctrl.abort();
  d.signal.addEventListener('abort', onEnd, { once: true });
  const cancel = d.clock.schedule(() => ctrl.abort(), SUMMARY_WRITE_MS);
  try {
    const text = (await d.pipeline.summarize(ctrl.signal)).trim();
    return text || fallback;
  } catch {
    return fallback;
  } finally {
    cancel();
    d.signal.removeEventListener('abort', onEnd);
  }
}

function plainSummary(transcript: Transcript): string {
  const said = transcript.entries
    .filter((e) => e.role === 'caller')
    .slice(-2)
    .map((e) => e.text)
    .join(' ');
  return said ? `I have a caller for you. They said: ${said}` : 'I have a caller for you.';
}

/** Plays `text` to the person, paced in real time; resolves when it has played. */
async function speakTo(d: WarmTransferDeps, person: ConsultLeg, text: string): Promise<void> {
  const ctrl = new AbortController();
  const onEnd = () => ctrl.abort();
  d.signal.addEventListener('abort', onEnd, { once: true });
  const cancel = d.clock.schedule(() => ctrl.abort(), SUMMARY_CAP_MS);
  let hungUp = false;
  void person.ended.then(() => {
    hungUp = true;
    ctrl.abort();
  });
  let idle: () => void = () => {};
  const played = new Promise<void>((resolve) => {
    idle = resolve;
  });
  let pushed = false;
  const pacer = new Pacer({
    format: person.outputFormat,
    clock: d.clock,
    onFrame: (f) => person.play(f),
    onIdle: () => idle(),
  });
  ctrl.signal.addEventListener('abort', () => idle(), { once: true });
  try {
    for await (const frame of d.speech(text, person.outputFormat, ctrl.signal)) {
      if (ctrl.signal.aborted) break;
      pacer.push(frame);
      pushed = true;
    }
    if (pushed) await played;
  } finally {
    pacer.close();
    cancel();
    d.signal.removeEventListener('abort', onEnd);
  }
  if (hungUp) throw new ConsultFailed('rejected', 'the person hung up before the bridge');
}

/** A soft two-note chime every two seconds, built once per hold and played in a loop. */
function holdLoop(format: AudioFormat): AudioFrame {
  const rate = format.sampleRate;
  const pcm = new Int16Array(rate * 2);
  const note = (start: number, freq: number) => {
    const len = Math.round(rate * 0.3);
    const from = Math.round(rate * start);
    for (let i = 0; i < len; i++) {
      const fade = Math.min(1, i / (rate * 0.02), (len - i) / (rate * 0.1));
      pcm[from + i] = Math.round(2500 * fade * Math.sin((2 * Math.PI * freq * i) / rate));
    }
  };
  note(0, 523.25);
  note(0.4, 659.25);
  return { format, data: encodeSamples(pcm, format.encoding) };
}

async function playHold(player: OutputPlayer, format: AudioFormat, signal: AbortSignal): Promise<void> {
  const loop = holdLoop(format);
  while (!signal.aborted) {
    const seg = player.begin('');
    player.push(seg, loop);
    seg.complete = true;
    await player.waitIdle(signal).catch(() => {});
  }
}

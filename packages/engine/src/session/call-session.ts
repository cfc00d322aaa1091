import {
  type AgentSnapshot,
  bindLogger,
  type CallEvent,
  type CallOutcome,
  type ControlSource,
  type EndedReason,
  farEndHangup,
  type Logger,
  renderTemplate,
  silentLogger,
  type TranscriptEntry,
  type TurnLatency,
} from '@switchboard/core';
import { frameDurationMs, initMedia } from '@switchboard/media';
import type { CallLeg } from '../call-leg.js';
import { agentInstructions, type KnowledgeSource, knowledgeFor } from '../knowledge/knowledge.js';
import { ProviderError } from '../providers/provider-error.js';
import type { ProviderFactory, ServedProviders } from '../providers/provider-factory.js';
import { type BuiltinTool, ToolRunner } from '../tools/tool-runner.js';
import { Channel } from '../util/channel.js';
import { type Clock, systemClock, TimerScope } from '../util/clock.js';
import { CascadedPipeline } from './cascaded-pipeline.js';
import { connectCascaded, connectSts } from './connect-providers.js';
import { InputGuard } from './input-guard.js';
import { KeypadCollector, keypadText } from './keypad.js';
import { LatencyMeter } from './latency-meter.js';
import { LiveControls } from './live-controls.js';
import { type MachineWatch, watchForMachine } from './machine-watch.js';
import { OutputPlayer } from './output-player.js';
import { CallRecorder, type RecordingInfo } from './recorder.js';
import type { EndRequest, Pipeline, SessionCore } from './session-core.js';
import { reportTool } from './session-core.js';
import { SessionEvents } from './session-events.js';
import { StsPipeline } from './sts-pipeline.js';
import { Transcript } from './transcript.js';
import {
  MenuKeys,
  sayUnavailable,
  UNAVAILABLE_LINE_TIMEOUT_MS,
  UNAVAILABLE_MENU_TIMEOUT_MS,
} from './unavailable-line.js';
import { defaultVadFactory, type VadFactory, VadTap } from './vad.js';
import {
  agentSpeech,
  type WarmTransferRequest,
  type WarmTransferResult,
  warmTransfer,
} from './warm-transfer.js';

/** Caller audio kept from the call's setup: enough for the onset of a word, not a backlog. */
const SETUP_BACKLOG_KEEP_MS = 200;
const APOLOGY = "I'm sorry, we're having technical difficulties. Please call again later.";
const SORRY_REPEAT = "Sorry, I didn't catch that. Could you say it again?";

export interface CallSessionOptions {
  leg: CallLeg;
  snapshot: AgentSnapshot;
  providers: ProviderFactory;
  emit: (event: CallEvent) => void;
  /** The platform's id for the call; defaults to the leg's. */
  callId?: string;
  /** Where recordings go; without it nothing is recorded. */
  recordingDir?: string;
  clock?: Clock;
  vadFactory?: VadFactory;
  /** Per-call values for `{{name}}` placeholders, over the agent's defaults. */
  variables?: Record<string, string>;
  logger?: Logger;
  /** Secret of a credential, for signing http tool requests. */
  resolveSecret?: (credentialId: string) => Promise<string | undefined>;
  signingSecret?: string;
  fetch?: typeof fetch;
  /**
   * A synthesiser that needs nothing outside the process (e.g. `local:espeak`): when the agent's
   * own providers cannot start, the caller hears that the line is unavailable in this voice
   * before the call ends, instead of silence.
   */
  unavailableTts?: string;
  /** Searches the agent's knowledge bases (the `knowledge_search` tool and per-turn context). */
  knowledge?: KnowledgeSource;
  /** Tools the platform offers this call beside the agent's own (the home tools). */
  platformTools?: readonly BuiltinTool[];
}

export interface CallResult {
  callId: string;
  agentId: string;
  agentVersion: number;
  outcome: CallOutcome;
  endedReason: EndedReason;
  durationMs: number;
  transcript: TranscriptEntry[];
  latencies: TurnLatency[];
  /** Which provider reference served each kind (after any fallback). */
  providers: ServedProviders;
  recording?: RecordingInfo;
  /** Set when the call's providers could not start: which one, and why. */
  startFailure?: { provider?: string; message: string };
}

/**
 * Runs one call of one agent version on one leg, from answer to hang-up. It wires the helpers —
 * input guard, VAD, pipeline, player, recorder, transcript, latency meter — and owns teardown:
 * when the call ends every timer, listener, connection and buffer it started is released.
 */
export class CallSession {
  readonly callId: string;
  readonly timers: TimerScope;
  readonly #o: CallSessionOptions;
  readonly #logger: Logger;
  readonly #ctrl = new AbortController();
  readonly #events: SessionEvents;
  readonly #transcript: Transcript;
  readonly #latency: LatencyMeter;
  readonly #clock: Clock;
  #startedAt = 0;
  #player: OutputPlayer | undefined;
  #pipeline: Pipeline | undefined;
  #recorder: CallRecorder | undefined;
  #vad: VadTap | undefined;
  #guard: InputGuard | undefined;
  #served: ServedProviders = {};
  #activeTurn: number | undefined;
  #ending = false;
  #ended = false;
  /** A warm transfer holds the caller: their audio is recorded but reaches no stage. */
  #held = false;
  /** Answering-machine detection before the agent speaks (outbound, where the carrier has none). */
  #machineWatch: MachineWatch | undefined;
  #voicemailMessage: string | undefined;
  #startFailure: CallResult['startFailure'];
  #softFailures = 0;
  #stopInput: (() => void) | undefined;
  #resolve: ((r: CallResult) => void) | undefined;
  readonly #onHangup = (reason: EndedReason) => this.#end({ reason, hangup: false });
  #keypad: KeypadCollector | undefined;
  #controls: LiveControls | undefined;
  /** Keys for the keypad menu of a call whose providers could not start (see #sayUnavailable). */
  #menuKeys: MenuKeys | undefined;
  readonly #onDtmf = (digit: string) => {
    this.#events.send('dtmf.received', { digit });
    if (this.#ended) return;
    if (this.#menuKeys) this.#menuKeys.push(digit);
    else this.#keypad?.push(digit);
  };

  constructor(opts: CallSessionOptions) {
    this.#o = opts;
    this.callId = opts.callId ?? opts.leg.id;
    this.#clock = opts.clock ?? systemClock;
    this.timers = new TimerScope(this.#clock);
    this.#logger = bindLogger(opts.logger ?? silentLogger(), {
      callId: this.callId,
      agentId: opts.snapshot.agentId,
    });
    this.#events = new SessionEvents(opts.emit, this.callId, opts.snapshot.workspaceId, this.#logger);
    this.#transcript = new Transcript((entry) => this.#events.send('transcript.final', entry));
    this.#latency = new LatencyMeter((turn) => this.#events.send('turn.latency', turn));
  }

  /** Live control of the running call (say, inject, recording); undefined until it is answered. */
  get controls(): LiveControls | undefined {
    return this.#ended ? undefined : this.#controls;
  }

  /** Runs the call; resolves when it has ended and everything is released. */
  async start(): Promise<CallResult> {
    const { leg, snapshot } = this.#o;
    const config = snapshot.config;
    const done = new Promise<CallResult>((resolve) => {
      this.#resolve = resolve;
    });
    this.#startedAt = this.#clock.now();
    this.#events.send('call.started', {
      direction: leg.direction,
      from: leg.from,
      to: leg.to,
      agentId: snapshot.agentId,
      agentVersion: snapshot.version,
      connector: leg.connector,
    });
    leg.on('hangup', this.#onHangup);
    leg.on('dtmf', this.#onDtmf);
    try {
      await initMedia();
      await this.#setup();
    } catch (e) {
      const err = ProviderError.from(e);
      this.#logger.error(
        { err: err.message, kind: err.kind, provider: err.provider },
        'call could not start',
      );
      this.#startFailure = { ...(err.provider ? { provider: err.provider } : {}), message: err.message };
      await this.#sayUnavailable();
      this.#end({ reason: 'provider-error', hangup: true }, 'failed');
      return done;
    }
    if (this.#ended) return done;
    this.#events.send('call.answered', {});
    this.timers.timeout(() => void this.#finishGracefully('max-duration'), config.maxDurationSeconds * 1000);
    if (this.#watchForMachine()) this.#held = true;
    else this.#pipeline?.start();
    void this.#readAudio();
    return done;
  }

  async #setup(): Promise<void> {
    const { leg, snapshot, providers } = this.#o;
    const config = snapshot.config;
    const vars = { ...config.variables, ...this.#o.variables };
    const systemPrompt = agentInstructions(renderTemplate(config.systemPrompt, vars), config.knowledge);
    const knowledge = knowledgeFor(config.knowledge, this.#o.knowledge, this.#logger);
    const greeting = config.greeting ? renderTemplate(config.greeting, vars) : undefined;
    if (config.voicemailMessage) this.#voicemailMessage = renderTemplate(config.voicemailMessage, vars);
    this.#guard = new InputGuard(leg.inputFormat, this.#logger);
    this.#player = new OutputPlayer({
      format: leg.outputFormat,
      clock: this.#clock,
      logger: this.#logger,
      onFrame: (frame) => {
        if (this.#activeTurn !== undefined)
          this.#latency.mark(this.#activeTurn, 'firstAudioSentMs', this.since());
        this.#recorder?.agent(frame);
        leg.play(frame);
      },
    });
    if (config.recording.enabled && this.#o.recordingDir) {
      this.#recorder = await CallRecorder.open(
        this.#o.recordingDir,
        this.callId,
        leg.inputFormat.sampleRate,
        this.#logger,
      ).catch((e) => {
        this.#logger.error({ err: e instanceof Error ? e.message : String(e) }, 'recording disabled');
        return undefined;
      });
    }
    const tools = new ToolRunner(config.tools, {
      callId: this.callId,
      clock: this.#clock,
      logger: this.#logger,
      sendDtmf: (digits) => leg.sendDtmf(digits),
      recording: (action) => {
        const controls = this.#controls;
        if (!controls) throw new Error('the call is not answered yet');
        return action === 'pause' ? controls.pauseRecording('tool') : controls.resumeRecording('tool');
      },
      ...(this.#o.resolveSecret ? { resolveSecret: this.#o.resolveSecret } : {}),
      ...(this.#o.signingSecret ? { signingSecret: this.#o.signingSecret } : {}),
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      builtins: [...knowledge.tools, ...(this.#o.platformTools ?? [])],
    });
    const ctx = {
      callId: this.callId,
      workspaceId: snapshot.workspaceId,
      agentId: snapshot.agentId,
      language: config.language,
      logger: this.#logger,
      ...(config.voice ? { voice: config.voice } : {}),
    };
    const base = { factory: providers, config, ctx, leg, logger: this.#logger, signal: this.#ctrl.signal };
    const core = this.#core(tools);
    if (config.mode === 'sts') {
      const { sts, served } = await connectSts({
        ...base,
        instructions: systemPrompt,
        tools: tools.definitions,
      });
      this.#served = served;
      this.#pipeline = new StsPipeline(core, sts, greeting);
    } else {
      // The detector loads a model; it does so while the providers connect.
      const [vad, conn] = await Promise.allSettled([
        VadTap.open(leg.inputFormat, this.#o.vadFactory ?? defaultVadFactory),
        connectCascaded(base),
      ]);
      if (vad.status === 'fulfilled') this.#vad = vad.value;
      if (conn.status === 'rejected') throw conn.reason;
      if (vad.status === 'rejected') {
        const p = conn.value.providers;
        await Promise.allSettled([p.asr.close(), p.llm.close(), p.tts.close()]);
        throw vad.reason;
      }
      this.#served = conn.value.served;
      const { retriever } = knowledge;
      this.#pipeline = new CascadedPipeline(core, conn.value.providers, systemPrompt, greeting, retriever);
    }
    if (config.keypad.toModel) {
      const pipeline = this.#pipeline;
      this.#keypad = new KeypadCollector(config.keypad, this.timers, (digits) => {
        if (!this.#ending) pipeline.callerKeys(digits);
        else this.#keysAtEnd(digits);
      });
    }
    this.#controls = new LiveControls({
      leg,
      pipeline: this.#pipeline,
      recorder: this.#recorder,
      events: this.#events,
      since: () => this.since(),
      ending: () => this.#ending,
      end: (req) => this.#end(req),
      warmTransfer: (req) => this.#warmTransfer(req),
      transferred: (target, by) => this.#transferred(target, by),
    });
    if (this.#ended) await this.#pipeline.close();
  }

  /**
   * The caller is told, in a local voice, that the line cannot take calls; never dead air. Where
   * the agent has FAQ entries (and takes keys), a keypad menu then still answers them.
   */
  async #sayUnavailable(): Promise<void> {
    const { leg, snapshot, providers, unavailableTts } = this.#o;
    if (!unavailableTts || !this.#player || this.#ended) return;
    this.#events.send('call.answered', {});
    const { faq } = snapshot.config.knowledge;
    const withMenu = faq.length > 0 && snapshot.config.keypad.toModel;
    const menuKeys = withMenu ? new MenuKeys(this.timers) : undefined;
    this.#menuKeys = menuKeys;
    const ctrl = new AbortController();
    const onEnd = () => ctrl.abort();
    this.#ctrl.signal.addEventListener('abort', onEnd, { once: true });
    const cancel = this.timers.timeout(
      () => ctrl.abort(),
      withMenu ? UNAVAILABLE_MENU_TIMEOUT_MS : UNAVAILABLE_LINE_TIMEOUT_MS,
    );
    await sayUnavailable({
      factory: providers,
      ttsRef: unavailableTts,
      ctx: {
        callId: this.callId,
        workspaceId: snapshot.workspaceId,
        agentId: snapshot.agentId,
        language: snapshot.config.language,
        logger: this.#logger,
      },
      player: this.#player,
      format: leg.outputFormat,
      signal: ctrl.signal,
      logger: this.#logger,
      ...(menuKeys ? { menu: { items: faq, nextDigit: (signal) => menuKeys.next(signal) } } : {}),
      nowMs: () => this.#clock.now() - this.#startedAt,
      onSpoken: (text, startMs, endMs) => this.#transcript.add({ role: 'agent', text, startMs, endMs }),
    });
    cancel();
    this.#ctrl.signal.removeEventListener('abort', onEnd);
    this.#menuKeys = undefined;
  }

  /**
   * Ends the call from outside (shutdown, a cancel): the session stops its stages, hangs the leg
   * up with `reason` — the connector's goodbye on its wire — closes the recording and publishes
   * `call.ended`. Settles the promise `start()` returned.
   */
  end(reason: EndedReason): void {
    this.#end({ reason, hangup: true });
  }

  /**
   * Ends the call from outside after a last line (shutdown: the caller hears why the line ends):
   * `line` is spoken for at most `capMs`, then the leg is hung up with `reason` as `end` does.
   * Does nothing more when the call is already ending.
   */
  endWithGoodbye(reason: EndedReason, line: string, capMs: number): Promise<void> {
    return this.#finishGracefully(reason, line, capMs);
  }

  since(): number {
    return this.#clock.now() - this.#startedAt;
  }

  #core(tools: ToolRunner): SessionCore {
    return {
      leg: this.#o.leg,
      config: this.#o.snapshot.config,
      timers: this.timers,
      logger: this.#logger,
      events: this.#events,
      transcript: this.#transcript,
      latency: this.#latency,
      player: this.#player as OutputPlayer,
      tools,
      signal: this.#ctrl.signal,
      since: () => this.since(),
      setActiveTurn: (n) => {
        this.#activeTurn = n;
      },
      recordTool: (o) =>
        reportTool({ events: this.#events, transcript: this.#transcript, since: () => this.since() }, o),
      end: (req) => this.#end(req),
      warmTransfer: (req) => this.#warmTransfer(req),
      transferred: (target, by) => this.#transferred(target, by),
      providerFailed: (err) => void this.#providerFailed(err),
    };
  }

  /** Outbound calls with voicemail detection wait for the verdict before the agent speaks. */
  #watchForMachine(): boolean {
    const { leg, snapshot } = this.#o;
    if (leg.direction !== 'outbound' || !snapshot.config.voicemailDetection) return false;
    this.#machineWatch = watchForMachine({
      leg,
      timers: this.timers,
      ...(this.#voicemailMessage ? { message: this.#voicemailMessage } : {}),
      note: (text) => {
        const at = Math.round(this.since());
        this.#transcript.add({ role: 'tool', toolName: 'voicemail', text, startMs: at, endMs: at });
      },
      human: () => {
        this.#machineWatch = undefined;
        this.#held = false;
        this.#pipeline?.start();
      },
      leave: async (message) => {
        this.#machineWatch = undefined;
        if (this.#ending) return;
        if (message) {
          this.#ending = true;
          await this.#pipeline?.sayFinal(message, 60_000).catch(() => {});
        }
        this.#end({ reason: 'machine-detected', hangup: true }, 'voicemail');
      },
    });
    return true;
  }

  #warmTransfer(req: WarmTransferRequest): Promise<WarmTransferResult> {
    const pipeline = this.#pipeline;
    const player = this.#player;
    if (!pipeline || !player) return Promise.reject(new Error('the call is not answered yet'));
    return warmTransfer(
      {
        leg: this.#o.leg,
        pipeline,
        player,
        events: this.#events,
        transcript: this.#transcript,
        clock: this.#clock,
        logger: this.#logger,
        signal: this.#ctrl.signal,
        since: () => this.since(),
        holdCaller: (held) => {
          this.#held = held;
        },
        speech: agentSpeech({
          pipeline,
          factory: this.#o.providers,
          localTts: this.#o.unavailableTts,
          ctx: {
            callId: this.callId,
            workspaceId: this.#o.snapshot.workspaceId,
            agentId: this.#o.snapshot.agentId,
            language: this.#o.snapshot.config.language,
            logger: this.#logger,
          },
        }),
        end: (r, outcome) => this.#end(r, outcome),
      },
      req,
    );
  }

  #transferred(target: string, by: ControlSource): void {
    this.#events.send('transfer.status', {
      status: 'handed-off',
      mode: 'cold',
      target,
      by,
      atMs: Math.round(this.since()),
    });
  }

  async #readAudio(): Promise<void> {
    const audio = this.#o.leg.audio;
    // Caller audio that queued while the providers connected would reach them in one burst and,
    // echoed or answered, be played back at real time: the call's setup time would become
    // permanent delay. Only the last moments are kept (they may hold the start of a word).
    if (audio instanceof Channel) {
      const dropped = audio.keepNewest(SETUP_BACKLOG_KEEP_MS, frameDurationMs);
      if (dropped > 0) this.#logger.debug({ frames: dropped }, 'dropped caller audio queued during setup');
    }
    const it = audio[Symbol.asyncIterator]();
    this.#stopInput = () => void it.return?.()?.catch(() => {});
    try {
      for (;;) {
        const r = await it.next();
        if (r.done || this.#ended) break;
        const frame = this.#guard?.accept(r.value);
        if (!frame) continue;
        this.#recorder?.caller(frame);
        this.#machineWatch?.push(frame);
        if (this.#held) continue;
        this.#pipeline?.callerAudio(frame);
        const event = await this.#vad?.process(frame);
        if (event && !this.#ended) this.#pipeline?.callerSpeech(event);
      }
    } catch (e) {
      this.#logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'caller audio failed');
      return this.#end({ reason: 'connector-error', hangup: true });
    }
    this.#end({ reason: farEndHangup(this.#o.leg.direction), hangup: false });
  }

  async #providerFailed(err: ProviderError): Promise<void> {
    if (this.#ending || this.#ended) return;
    this.#logger.error({ err: err.message, kind: err.kind, provider: err.provider }, 'provider failed');
    if (err.retryable && this.#softFailures < 2 && this.#o.snapshot.config.mode === 'cascaded') {
      this.#softFailures++;
      this.#pipeline?.sayFinal(SORRY_REPEAT, 5000).catch(() => {});
      return;
    }
    await this.#finishGracefully('provider-error', APOLOGY);
  }

  /** Ends after a last line (goodbye, apology) has played. */
  async #finishGracefully(reason: EndedReason, line?: string, capMs = 5000): Promise<void> {
    if (this.#ending || this.#ended) return;
    this.#ending = true;
    this.#pipeline?.stopSpeaking();
    const text = line ?? this.#o.snapshot.config.goodbyeMessage;
    if (text && capMs > 0) await this.#pipeline?.sayFinal(text, capMs).catch(() => {});
    this.#end({ reason, hangup: true });
  }

  /** Keys pressed as the call ends reach the transcript, though nobody answers them any more. */
  #keysAtEnd(digits: string): void {
    const at = Math.round(this.since());
    this.#transcript.add({ role: 'caller', text: keypadText(digits), startMs: at, endMs: at });
  }

  #end(req: EndRequest, outcome: CallOutcome = 'completed'): void {
    if (this.#ended) return;
    this.#ending = true;
    // Before the timers go: an entry still waiting for its inter-digit timeout is kept.
    this.#keypad?.flush();
    this.#ended = true;
    this.#ctrl.abort(new Error(`call ended: ${req.reason}`));
    this.timers.clearAll();
    void this.#teardown(req, outcome);
  }

  async #teardown(req: EndRequest, outcome: CallOutcome): Promise<void> {
    const { leg, snapshot } = this.#o;
    leg.off('hangup', this.#onHangup);
    leg.off('dtmf', this.#onDtmf);
    this.#stopInput?.();
    await this.#pipeline?.close().catch(() => {});
    this.#player?.close();
    this.#vad?.close();
    this.#guard?.destroy();
    if (req.hangup) {
      await leg.hangup(req.reason).catch((e) => {
        this.#logger.warn({ err: e instanceof Error ? e.message : String(e) }, 'hangup failed');
      });
    }
    const recording = await this.#recorder?.close();
    // Anything a closing stage scheduled on its way out is cancelled too.
    this.timers.clearAll();
    const result: CallResult = {
      callId: this.callId,
      agentId: snapshot.agentId,
      agentVersion: snapshot.version,
      outcome,
      endedReason: req.reason,
      durationMs: Math.round(this.since()),
      transcript: this.#transcript.entries,
      latencies: this.#latency.turns,
      providers: this.#served,
      ...(recording ? { recording } : {}),
      ...(this.#startFailure ? { startFailure: this.#startFailure } : {}),
    };
    const data = {
      outcome,
      endedReason: req.reason,
      durationMs: result.durationMs,
      transcript: result.transcript,
      latencies: result.latencies,
      providers: result.providers,
      ...(recording ? { recordingPath: recording.path } : {}),
      ...(this.#startFailure ? { error: `call could not start: ${this.#startFailure.message}` } : {}),
    };
    this.#events.send('call.ended', data);
    this.#resolve?.(result);
  }
}

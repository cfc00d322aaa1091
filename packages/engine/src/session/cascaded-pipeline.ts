import type { AudioFormat, AudioFrame } from '@switchboard/media';
import type { KnowledgeRetriever } from '../knowledge/knowledge.js';
import { ProviderError } from '../providers/provider-error.js';
import type { AsrStream, ChatMessage, LlmProvider, TtsProvider } from '../providers/types.js';
import { isBackchannel, words } from '../text/words.js';
import { AgentTurn } from './agent-turn.js';
import { BargeIn, interruptTurn } from './barge-in.js';
import { runEffect } from './effects.js';
import { IdleMonitor } from './idle-monitor.js';
import { keypadText } from './keypad.js';
import type { Pipeline, SessionCore } from './session-core.js';
import { TurnDetector } from './turn-detector.js';

export interface CascadedProviders {
  asr: AsrStream;
  llm: LlmProvider;
  tts: TtsProvider;
}

/**
 * ASR → LLM → TTS. The VAD and the recogniser feed the turn detector and barge-in; each agent turn
 * streams the model's reply into the synthesiser chunk by chunk. Agent turns run one at a time.
 */
export class CascadedPipeline implements Pipeline {
  readonly #core: SessionCore;
  readonly #p: CascadedProviders;
  readonly #history: ChatMessage[];
  readonly #greeting: string | undefined;
  readonly #detector: TurnDetector;
  readonly #bargeIn: BargeIn;
  readonly #idle: IdleMonitor;
  readonly #backchannel: ReadonlySet<string>;
  #queue: Promise<void> = Promise.resolve();
  #current: AgentTurn | undefined;
  #pendingUser: { text: string; confidence?: number }[] = [];
  /** System messages added mid-call; they join the history when the next reply begins. */
  #pendingContext: string[] = [];
  #lastFinalAt: number | undefined;
  #fillerIndex = 0;

  readonly #knowledge: KnowledgeRetriever | undefined;

  constructor(
    core: SessionCore,
    providers: CascadedProviders,
    systemPrompt: string,
    greeting?: string,
    knowledge?: KnowledgeRetriever,
  ) {
    this.#core = core;
    this.#knowledge = knowledge;
    this.#p = providers;
    this.#history = [{ role: 'system', content: systemPrompt }];
    this.#greeting = greeting;
    const tt = core.config.turnTaking;
    this.#backchannel = new Set(tt.backchannelWords.map((w) => words(w).join(' ')));
    this.#detector = new TurnDetector({
      endOfTurnSilenceMs: tt.endOfTurnSilenceMs,
      timers: core.timers,
      onTurn: (text, confidence) => this.#callerTurn(text, confidence),
    });
    this.#bargeIn = new BargeIn({
      turnTaking: tt,
      timers: core.timers,
      target: {
        agentSpeaking: () => this.#current?.interruptible === true,
        pause: () => core.player.pause(),
        resume: () => core.player.resume(),
        interrupt: () => this.#interrupt(),
      },
    });
    this.#idle = new IdleMonitor({
      idle: core.config.idle,
      timers: core.timers,
      onReprompt: (message) => this.#enqueue(() => this.#speak(message, true)),
      onGiveUp: (message) =>
        this.#enqueue(async () => {
          await this.sayFinal(message, 15_000);
          core.end({ reason: 'silence-timeout', hangup: true });
        }),
    });
  }

  start(): void {
    void this.#listen();
    if (this.#greeting) {
      this.#history.push({ role: 'assistant', content: this.#greeting });
      this.#enqueue(() => this.#speak(this.#greeting as string, true));
    } else this.#idle.arm();
  }

  callerAudio(frame: AudioFrame): void {
    this.#p.asr.push(frame);
  }

  callerSpeech(event: 'speech-start' | 'speech-end'): void {
    if (event === 'speech-start') {
      this.#idle.disarm();
      this.#core.latency.callerResumed();
      this.#detector.speechStart();
      this.#bargeIn.callerSpeechStart();
    } else {
      this.#core.latency.callerStopped(this.#core.since());
      this.#detector.speechEnd();
      this.#bargeIn.callerSpeechEnd();
    }
  }

  callerKeys(digits: string): void {
    // A key pressed while the agent speaks takes the turn at once, as in any phone menu.
    if (this.#current?.interruptible) this.#interrupt();
    this.#callerTurn(keypadText(digits));
  }

  say(text: string, interrupt: boolean): void {
    if (interrupt && this.#current?.interruptible) this.#interrupt();
    this.#enqueue(async () => {
      // Added when spoken, between turns: a reply's tool messages are never split.
      this.#history.push({ role: 'assistant', content: text });
      await this.#speak(text, true);
    });
  }

  addContext(text: string): void {
    this.#pendingContext.push(text);
  }

  stopSpeaking(): void {
    this.#current?.controller.abort(new Error('stopped'));
    this.#core.player.interrupt();
  }

  async sayFinal(text: string, capMs: number): Promise<void> {
    if (!text) return;
    // The last line: no "are you still there?" may cut into it.
    this.#idle.disarm();
    const turn = this.#newTurn(false);
    const cancel = this.#core.timers.timeout(() => turn.controller.abort(new Error('final line cut')), capMs);
    try {
      await turn.say(text);
    } finally {
      cancel();
      this.#finish(turn);
    }
  }

  async summarize(signal: AbortSignal): Promise<string> {
    const messages: ChatMessage[] = [
      ...this.#history,
      {
        role: 'system',
        content:
          'You are handing this call to a colleague. In at most two short sentences, tell them who ' +
          'is calling and what they need. Reply with the summary only.',
      },
    ];
    let text = '';
    for await (const chunk of this.#p.llm.chat({ messages, tools: [], signal })) {
      if (chunk.type === 'text') text += chunk.text;
    }
    return text;
  }

  synthesize(text: string, format: AudioFormat, signal: AbortSignal): AsyncIterable<AudioFrame> {
    return this.#p.tts.synthesize({ text, format, signal });
  }

  async close(): Promise<void> {
    this.#current?.controller.abort(new Error('call ended'));
    this.#detector.reset();
    this.#bargeIn.reset();
    this.#idle.disarm();
    await Promise.allSettled([this.#p.asr.close(), this.#p.llm.close(), this.#p.tts.close()]);
  }

  async #listen(): Promise<void> {
    try {
      for await (const ev of this.#p.asr.events) {
        if (ev.type === 'partial') {
          this.#core.events.send('transcript.partial', { role: 'caller', text: ev.text });
          this.#detector.partial(ev.text);
          this.#bargeIn.callerText(this.#detector.text);
        } else if (ev.type === 'final') {
          this.#lastFinalAt = this.#core.since();
          this.#detector.final(ev.text, ev.confidence);
          this.#bargeIn.callerText(ev.text);
        }
        // The session's VAD drives speech start/end; recogniser speech events are advisory.
      }
    } catch (e) {
      if (!this.#core.signal.aborted) this.#core.providerFailed(ProviderError.from(e));
    }
  }

  #callerTurn(text: string, confidence?: number): void {
    const at = this.#core.since();
    const speaking = this.#current?.interruptible === true;
    this.#core.transcript.add({ role: 'caller', text, startMs: Math.round(at), endMs: Math.round(at) });
    // An acknowledgement while the agent talks is not a question to answer.
    if (speaking && isBackchannel(text, this.#backchannel)) return;
    this.#idle.callerTurn();
    this.#pendingUser.push(confidence === undefined ? { text } : { text, confidence });
    this.#enqueue(() => this.#reply());
  }

  #interrupt(): void {
    const turn = this.#current;
    interruptTurn(turn, {
      dropAudio: () => this.#core.player.interrupt(),
      clearCarrier: () => this.#core.leg.clear(),
      report: (i) =>
        this.#core.events.send('agent.interrupted', { heardText: i.heardText, droppedText: i.droppedText }),
    });
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#core.signal.aborted) return;
      try {
        await task();
      } catch (e) {
        this.#core.logger.error({ err: e instanceof Error ? e.message : String(e) }, 'agent turn failed');
      }
    });
  }

  #newTurn(interruptible: boolean): AgentTurn {
    const core = this.#core;
    const n = core.latency.beginTurn();
    if (this.#lastFinalAt !== undefined) core.latency.mark(n, 'asrFinalMs', this.#lastFinalAt);
    this.#lastFinalAt = undefined;
    core.setActiveTurn(n);
    const turn = new AgentTurn(
      {
        player: core.player,
        tts: this.#p.tts,
        format: core.leg.outputFormat,
        timers: core.timers,
        logger: core.logger,
        marks: {
          firstToken: () => core.latency.mark(n, 'llmFirstTokenMs', core.since()),
          firstAudio: () => core.latency.mark(n, 'ttsFirstAudioMs', core.since()),
        },
      },
      interruptible,
    );
    turn.startedAtMs = core.since();
    this.#current = turn;
    return turn;
  }

  #finish(turn: AgentTurn): void {
    if (this.#current === turn) this.#current = undefined;
    this.#bargeIn.reset();
    const text = turn.spokenText();
    if (text) {
      this.#core.transcript.add({
        role: 'agent',
        text,
        startMs: Math.round(turn.startedAtMs),
        endMs: Math.round(this.#core.since()),
        ...(turn.interruption ? { interrupted: true } : {}),
      });
    }
  }

  async #speak(text: string, interruptible: boolean): Promise<void> {
    const turn = this.#newTurn(interruptible);
    await turn.say(text);
    this.#after(turn);
  }

  async #reply(): Promise<void> {
    if (this.#pendingUser.length === 0) return;
    const said = this.#pendingUser.splice(0);
    for (const content of this.#pendingContext.splice(0)) this.#history.push({ role: 'system', content });
    const scores = said.flatMap((s) => (s.confidence === undefined ? [] : [s.confidence]));
    const content = said.map((s) => s.text).join(' ');
    this.#history.push({
      role: 'user',
      content,
      ...(scores.length > 0 ? { confidence: Math.min(...scores) } : {}),
    });
    const turn = this.#newTurn(true);
    const tt = this.#core.config.turnTaking;
    await turn.reply({
      llm: this.#p.llm,
      tools: this.#core.tools,
      history: this.#history,
      turnTaking: tt,
      nextFiller: () => tt.fillerPhrases[this.#fillerIndex++ % Math.max(1, tt.fillerPhrases.length)],
      onToolOutcome: (o) => this.#core.recordTool(o),
      ...(this.#knowledge
        ? { context: (signal: AbortSignal) => this.#knowledge!.contextFor(content, signal) }
        : {}),
    });
    this.#after(turn);
    if (turn.effect && !turn.error) {
      await runEffect(turn.effect, {
        core: this.#core,
        sayFinal: (t) => this.sayFinal(t, 15_000),
        spoke: !!turn.fullText(),
      });
    }
  }

  #after(turn: AgentTurn): void {
    this.#finish(turn);
    if (turn.error) {
      this.#core.providerFailed(turn.error);
      return;
    }
    if (!turn.interruption && !turn.effect && this.#pendingUser.length === 0) this.#idle.arm();
  }
}

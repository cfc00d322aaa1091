import type { AgentConfig, Logger } from '@switchboard/core';
import type { AudioFormat } from '@switchboard/media';
import { ProviderError } from '../providers/provider-error.js';
import type { ChatMessage, LlmProvider, TtsProvider } from '../providers/types.js';
import { SpeakableChunker } from '../text/speakable-chunker.js';
import type { ToolEffect, ToolOutcome, ToolRunner } from '../tools/tool-runner.js';
import { Channel } from '../util/channel.js';
import type { TimerScope } from '../util/clock.js';
import type { InterruptibleTurn, Interruption } from './barge-in.js';
import type { OutputPlayer } from './output-player.js';
import { replyRounds } from './reply-rounds.js';

export interface TurnMarks {
  firstToken(): void;
  firstAudio(): void;
}

export interface AgentTurnDeps {
  player: OutputPlayer;
  tts: TtsProvider;
  format: AudioFormat;
  timers: TimerScope;
  logger: Logger;
  marks: TurnMarks;
}

export interface ReplySource {
  llm: LlmProvider;
  tools: ToolRunner;
  /** The conversation; the turn appends the assistant and tool messages it produces. */
  history: ChatMessage[];
  turnTaking: AgentConfig['turnTaking'];
  nextFiller: () => string | undefined;
  onToolOutcome: (outcome: ToolOutcome) => void;
  /** Finds context for this reply (knowledge base passages); it may take a moment. */
  context?: (signal: AbortSignal) => Promise<ChatMessage | undefined>;
}

/**
 * One stretch of agent speech: a scripted line (greeting, re-prompt, goodbye) or a model reply with
 * its tool calls. Model text is cut into speakable chunks and synthesised while the model is still
 * writing; everything the turn starts listens to `controller.signal`.
 */
export class AgentTurn implements InterruptibleTurn {
  readonly controller = new AbortController();
  readonly interruptible: boolean;
  /** Ms from call start when the turn began. */
  startedAtMs = 0;
  interruption: Interruption | undefined;
  error: ProviderError | undefined;
  effect: ToolEffect | undefined;
  readonly #deps: AgentTurnDeps;
  readonly #speech = new Channel<string>();
  #text: string[] = [];
  /** Model text of the round in progress. */
  #live = '';
  #speakerBusy = false;
  #historyFrom = 0;
  #history: ChatMessage[] | undefined;

  constructor(deps: AgentTurnDeps, interruptible = true) {
    this.#deps = deps;
    this.interruptible = interruptible;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  fullText(): string {
    return [...this.#text, this.#live].join(' ').replace(/\s+/g, ' ').trim();
  }

  /** What belongs in the transcript: all of it, or what was heard when interrupted. */
  spokenText(): string {
    return this.interruption ? this.interruption.heardText : this.fullText();
  }

  markInterrupted(interruption: Interruption): void {
    this.interruption = interruption;
    if (this.#history) truncateAssistantText(this.#history, this.#historyFrom, interruption.heardText);
  }

  /** Speaks a fixed line. */
  say(text: string): Promise<void> {
    return this.#run(async () => this.#queue(text, true));
  }

  /** Asks the model for a reply and speaks it, running tools between rounds. */
  reply(source: ReplySource): Promise<void> {
    this.#history = source.history;
    this.#historyFrom = source.history.length;
    return this.#run(() => this.#reply(source));
  }

  async #run(produce: () => Promise<void>): Promise<void> {
    this.#deps.player.resetUtterance();
    const speaking = this.#speaker().catch((e) => this.#fail(e));
    try {
      await produce();
    } catch (e) {
      this.#fail(e);
    } finally {
      this.#speech.close();
    }
    await speaking;
    if (!this.signal.aborted) await this.#deps.player.waitIdle(this.signal);
  }

  #fail(e: unknown): void {
    if (this.signal.aborted && !this.error) return;
    this.error ??= ProviderError.from(e);
    this.controller.abort(this.error);
  }

  #queue(text: string, whole: boolean): void {
    const chunker = new SpeakableChunker();
    this.#text.push(text);
    for (const chunk of [...chunker.push(text), ...(whole ? chunker.flush() : [])]) this.#speech.push(chunk);
  }

  async #speaker(): Promise<void> {
    const { player, tts, format, marks } = this.#deps;
    for await (const chunk of this.#speech) {
      if (this.signal.aborted) return;
      this.#speakerBusy = true;
      const seg = player.begin(chunk);
      for await (const frame of tts.synthesize({ text: chunk, format, signal: this.signal })) {
        if (this.signal.aborted) return;
        marks.firstAudio();
        player.push(seg, frame);
      }
      seg.complete = true;
      this.#speakerBusy = false;
    }
  }

  async #reply(src: ReplySource): Promise<void> {
    let chunker = new SpeakableChunker();
    let live = '';
    let cancelFiller: (() => void) | undefined;
    const context = await src.context?.(this.signal);
    this.effect = await replyRounds(src.llm, src.tools, src.history, this.signal, {
      ...(context ? { context } : {}),
      onChunk: () => this.#deps.marks.firstToken(),
      onText: (delta) => {
        live += delta;
        this.#live = live;
        for (const chunk of chunker.push(delta)) this.#speech.push(chunk);
      },
      onRoundEnd: (text) => {
        for (const chunk of chunker.flush()) this.#speech.push(chunk);
        chunker = new SpeakableChunker();
        live = '';
        this.#live = '';
        if (text.trim()) this.#text.push(text);
        if (this.interruption)
          truncateAssistantText(src.history, this.#historyFrom, this.interruption.heardText);
      },
      onToolsStart: () => {
        cancelFiller = this.#deps.timers.timeout(() => {
          const phrase = src.nextFiller();
          if (phrase && !this.#deps.player.speaking && !this.#speakerBusy && this.#speech.size === 0) {
            this.#queue(phrase, true);
          }
        }, src.turnTaking.fillerAfterMs);
      },
      onToolsEnd: () => cancelFiller?.(),
      onToolOutcome: src.onToolOutcome,
    });
  }
}

/** Rewrites this turn's assistant messages so the model remembers saying only `heard`. */
function truncateAssistantText(history: ChatMessage[], from: number, heard: string): void {
  let left = heard.split(/\s+/).filter(Boolean).length;
  for (let i = from; i < history.length; i++) {
    const m = history[i];
    if (m?.role !== 'assistant') continue;
    const w = m.content.split(/\s+/).filter(Boolean);
    history[i] = { ...m, content: w.slice(0, left).join(' ') };
    left = Math.max(0, left - w.length);
  }
}

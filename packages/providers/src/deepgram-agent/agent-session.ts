import type { Logger } from '@switchboard/core';
import { ProviderError, type StsOptions } from '@switchboard/engine';
import type { AudioFrame, Clock } from '@switchboard/media';
import type WebSocket from 'ws';
import { type JsonMessage, obj, str, WsStsSession } from '../ws/ws-sts-session.js';
import { type DeepgramAgentSettings, settingsMessage, speakBlock } from './agent-settings.js';

/**
 * One Deepgram Voice Agent conversation: JSON control messages, raw audio in binary frames both
 * ways. Deepgram runs listen, think and speak itself and stops its own speech on barge-in; we
 * drop whatever audio of the cut response is still in flight.
 */
export class AgentSession extends WsStsSession {
  readonly #settings: DeepgramAgentSettings;
  readonly #opts: StsOptions;
  readonly #clock: Clock;
  #inResponse = false;
  #discarding = false;
  #agentText = '';
  #sentAudio = false;
  #stopKeepAlive: (() => void) | undefined;
  readonly #callNames = new Map<string, string>();

  constructor(
    socket: WebSocket,
    settings: DeepgramAgentSettings,
    opts: StsOptions,
    clock: Clock,
    provider: string,
    logger: Logger,
  ) {
    super(socket, provider, logger);
    this.#settings = settings;
    this.#opts = opts;
    this.#clock = clock;
  }

  push(frame: AudioFrame): void {
    if (!this.isOpen) return;
    this.#sentAudio = true;
    this.socket.send(frame.data, { binary: true });
  }

  /** Speaks `text` as the agent (greeting, apology) without a model turn. */
  say(text: string): void {
    this.sendJson({ type: 'InjectAgentMessage', message: text });
  }

  /** A caller message as text: the agent answers it as a normal turn. */
  sendText(text: string): void {
    this.sendJson({ type: 'InjectUserMessage', content: text });
  }

  sendToolResult(callId: string, output: string): void {
    const name = this.#callNames.get(callId) ?? '';
    this.#callNames.delete(callId);
    this.sendJson({ type: 'FunctionCallResponse', id: callId, name, content: output });
  }

  interrupt(_heardMs: number): void {
    // Deepgram keeps its own history of what was spoken; there is no truncate to send.
    if (this.#inResponse) this.#discarding = true;
  }

  /** Changes the system prompt mid-call. */
  updatePrompt(prompt: string): void {
    this.sendJson({ type: 'UpdatePrompt', prompt });
  }

  /** Changes the voice mid-call. */
  updateSpeak(model: string, provider = this.#settings.speakProvider): void {
    this.sendJson({ type: 'UpdateSpeak', speak: speakBlock(provider, model) });
  }

  protected override onBinary(data: Buffer): void {
    if (this.#discarding) return;
    this.#startResponse();
    this.emit({ type: 'audio', frame: { format: this.#opts.outputFormat, data } });
  }

  protected onJson(msg: JsonMessage): void {
    switch (msg.type) {
      case 'Welcome':
        this.sendJson(settingsMessage(this.#settings, this.#opts));
        return;
      case 'SettingsApplied':
        this.#keepAlive();
        this.markReady();
        return;
      case 'UserStartedSpeaking':
        this.emit({ type: 'speech-start' });
        return;
      case 'ConversationText':
        this.#text(str(msg.role), str(msg.content) ?? '');
        return;
      case 'AgentStartedSpeaking':
        this.#discarding = false;
        this.#startResponse();
        return;
      case 'AgentAudioDone':
        if (this.#inResponse) this.emit({ type: 'response-done' });
        this.#inResponse = false;
        this.#discarding = false;
        this.#agentText = '';
        return;
      case 'FunctionCallRequest':
        for (const f of Array.isArray(msg.functions) ? msg.functions : []) this.#functionCall(obj(f));
        return;
      case 'Error': {
        const code = str(msg.code) ?? '';
        const kind = /SETTINGS|UNPARSABLE|INVALID/i.test(code) ? 'protocol' : 'unavailable';
        this.fail(
          new ProviderError(
            kind,
            `${this.provider}: ${str(msg.description) ?? 'error'}${code ? ` (${code})` : ''}`,
            { provider: this.provider },
          ),
        );
        return;
      }
      case 'Warning':
      case 'InjectionRefused':
        this.logger.warn(
          { provider: this.provider, type: msg.type, code: str(msg.code) },
          'deepgram agent: notice',
        );
        return;
      default:
        return;
    }
  }

  #startResponse(): void {
    if (this.#inResponse) return;
    this.#inResponse = true;
    this.emit({ type: 'response-start' });
  }

  /** Agent sentences arrive one ConversationText each; the session gets the response so far. */
  #text(role: string | undefined, content: string): void {
    if (role === 'user') {
      this.emit({ type: 'transcript', role: 'caller', text: content, final: true });
      return;
    }
    if (role !== 'assistant' || this.#discarding) return;
    this.#startResponse();
    this.#agentText = this.#agentText ? `${this.#agentText} ${content}` : content;
    this.emit({ type: 'transcript', role: 'agent', text: this.#agentText, final: true });
  }

  #functionCall(f: JsonMessage | undefined): void {
    const id = str(f?.id);
    const name = str(f?.name);
    // Server-side functions run at Deepgram; only client-side ones are ours to answer.
    if (!f || !id || !name || f.client_side === false) return;
    this.#callNames.set(id, name);
    this.emit({ type: 'tool-call', call: { id, name, arguments: str(f.arguments) ?? '{}' } });
  }

  /** A KeepAlive each period in which no caller audio went out, so an idle socket is not closed. */
  #keepAlive(): void {
    const tick = () => {
      if (!this.#sentAudio) this.sendJson({ type: 'KeepAlive' });
      this.#sentAudio = false;
      this.#stopKeepAlive = this.#clock.schedule(tick, this.#settings.keepAliveMs);
    };
    this.#stopKeepAlive = this.#clock.schedule(tick, this.#settings.keepAliveMs);
  }

  protected override onSocketClosed(): void {
    this.#stopKeepAlive?.();
  }
}

import type { Logger } from '@switchboard/core';
import { ProviderError, type StsOptions } from '@switchboard/engine';
import { type AudioFrame, bytesForMs } from '@switchboard/media';
import type WebSocket from 'ws';
import { type JsonMessage, obj, str, toBase64, WsStsSession } from '../ws/ws-sts-session.js';
import { type RealtimeSettings, realtimeError, sayExactly, sessionUpdate } from './session-config.js';

/** Audio of one assistant item as far as it was delivered, for truncating at what was heard. */
interface PlayedItem {
  id: string;
  bytes: number;
}

/**
 * One Realtime conversation. Accepts GA and beta event names alike; turn-taking is the server's
 * VAD. Barge-in cancels the response and truncates the item being played at the heard point, so
 * the model's memory matches what the caller actually heard (protocols §5.6).
 */
export class RealtimeSession extends WsStsSession {
  readonly #settings: RealtimeSettings;
  readonly #opts: StsOptions;
  #configured = false;
  #updated = false;
  /** The response being generated, and the audio items it has delivered so far. */
  #responseId: string | undefined;
  #items: PlayedItem[] = [];
  /** Deltas still in flight from a response we cancelled are dropped. */
  readonly #cancelled = new Set<string>();
  /** Tool calls of the current response; the follow-up waits for all results and its `response.done`. */
  readonly #calls = new Map<string, { answered: boolean }>();
  #callsResponseDone = false;
  readonly #callerText = new Map<string, string>();

  constructor(
    socket: WebSocket,
    settings: RealtimeSettings,
    opts: StsOptions,
    provider: string,
    logger: Logger,
  ) {
    super(socket, provider, logger);
    this.#settings = settings;
    this.#opts = opts;
  }

  push(frame: AudioFrame): void {
    if (this.isOpen)
      this.socket.send(`{"type":"input_audio_buffer.append","audio":"${toBase64(frame.data)}"}`);
  }

  say(text: string): void {
    this.sendJson(sayExactly(this.#settings.api, text));
  }

  /** A caller message as text (§5.3): a user item, then a response to it. */
  sendText(text: string): void {
    this.sendJson({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
    });
    this.sendJson({ type: 'response.create' });
  }

  /** A system item the model reads on its next response; no response is asked for. */
  addContext(text: string): void {
    this.sendJson({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'system', content: [{ type: 'input_text', text }] },
    });
  }

  sendToolResult(callId: string, output: string): void {
    this.sendJson({
      type: 'conversation.item.create',
      item: { type: 'function_call_output', call_id: callId, output },
    });
    const call = this.#calls.get(callId);
    if (call) call.answered = true;
    this.#maybeFollowUp();
  }

  interrupt(heardMs: number): void {
    const id = this.#responseId;
    if (id) {
      this.#cancelled.add(id);
      this.#responseId = undefined;
      this.sendJson({ type: 'response.cancel', response_id: id });
    }
    const cut = this.#truncatePoint(heardMs);
    this.#items = [];
    if (cut)
      this.sendJson({
        type: 'conversation.item.truncate',
        item_id: cut.id,
        content_index: 0,
        audio_end_ms: cut.ms,
      });
  }

  /** The item playing `heardMs` into the response, and the offset within it (never past its end). */
  #truncatePoint(heardMs: number): { id: string; ms: number } | undefined {
    const perMs = bytesForMs(this.#opts.outputFormat, 1);
    let left = Math.max(0, Math.round(heardMs));
    for (const [i, item] of this.#items.entries()) {
      const ms = Math.floor(item.bytes / perMs);
      if (left <= ms || i === this.#items.length - 1) return { id: item.id, ms: Math.min(left, ms) };
      left -= ms;
    }
    return undefined;
  }

  protected onJson(msg: JsonMessage): void {
    switch (msg.type) {
      case 'session.created':
        if (!this.#configured) {
          this.#configured = true;
          this.sendJson(sessionUpdate(this.#settings, this.#opts));
        }
        return;
      case 'session.updated':
        this.#updated = true;
        this.markReady();
        return;
      case 'input_audio_buffer.speech_started':
        this.emit({ type: 'speech-start' });
        return;
      case 'input_audio_buffer.speech_stopped':
        this.emit({ type: 'speech-end' });
        return;
      case 'conversation.item.input_audio_transcription.delta': {
        const id = str(msg.item_id) ?? '';
        const text = (this.#callerText.get(id) ?? '') + (str(msg.delta) ?? '');
        this.#callerText.set(id, text);
        this.emit({ type: 'transcript', role: 'caller', text, final: false });
        return;
      }
      case 'conversation.item.input_audio_transcription.completed':
        this.#callerText.delete(str(msg.item_id) ?? '');
        this.emit({
          type: 'transcript',
          role: 'caller',
          text: (str(msg.transcript) ?? '').trim(),
          final: true,
        });
        return;
      case 'response.created': {
        const id = str(obj(msg.response)?.id);
        this.#responseId = id;
        this.#items = [];
        this.emit({ type: 'response-start' });
        return;
      }
      case 'response.output_audio.delta':
      case 'response.audio.delta':
        this.#audio(msg);
        return;
      // Agent text deltas are appended by the session; the `.done` transcript replaces them.
      case 'response.output_audio_transcript.delta':
      case 'response.audio_transcript.delta':
      case 'response.output_text.delta':
      case 'response.text.delta':
        if (!this.#dropped(msg))
          this.emit({ type: 'transcript', role: 'agent', text: str(msg.delta) ?? '', final: false });
        return;
      case 'response.output_audio_transcript.done':
      case 'response.audio_transcript.done':
        if (!this.#dropped(msg))
          this.emit({ type: 'transcript', role: 'agent', text: str(msg.transcript) ?? '', final: true });
        return;
      case 'response.function_call_arguments.done':
        this.#toolCall(str(msg.call_id), str(msg.name), str(msg.arguments));
        return;
      case 'response.output_item.done': {
        const item = obj(msg.item);
        if (item?.type === 'function_call')
          this.#toolCall(str(item.call_id), str(item.name), str(item.arguments));
        return;
      }
      case 'response.done':
        this.#responseDone(obj(msg.response) ?? {});
        return;
      case 'error': {
        // Before `session.updated`, any error means our configuration was refused.
        const err =
          realtimeError(msg, this.provider) ??
          (this.#updated
            ? null
            : new ProviderError('bad_request', `${this.provider}: session.update refused`, {
                provider: this.provider,
              }));
        if (err) this.fail(err);
        else this.logger.warn({ provider: this.provider, error: obj(msg.error) }, 'realtime: error event');
        return;
      }
      default:
        return;
    }
  }

  #dropped(msg: JsonMessage): boolean {
    const id = str(msg.response_id);
    return id !== undefined && this.#cancelled.has(id);
  }

  #audio(msg: JsonMessage): void {
    if (this.#dropped(msg)) return;
    const data = Buffer.from(str(msg.delta) ?? '', 'base64');
    const itemId = str(msg.item_id) ?? '';
    const last = this.#items.at(-1);
    if (last?.id === itemId) last.bytes += data.byteLength;
    else this.#items.push({ id: itemId, bytes: data.byteLength });
    this.emit({ type: 'audio', frame: { format: this.#opts.outputFormat, data } });
  }

  #toolCall(id: string | undefined, name: string | undefined, args: string | undefined): void {
    // Both `arguments.done` and `output_item.done` carry the call; it runs once.
    if (!id || !name || this.#calls.has(id)) return;
    if (this.#calls.size === 0) this.#callsResponseDone = false;
    this.#calls.set(id, { answered: false });
    this.emit({ type: 'tool-call', call: { id, name, arguments: args ?? '{}' } });
  }

  #responseDone(response: JsonMessage): void {
    const id = str(response.id);
    if (id) this.#cancelled.delete(id);
    if (id === this.#responseId) this.#responseId = undefined;
    for (const item of Array.isArray(response.output) ? response.output : []) {
      const it = obj(item);
      if (it?.type === 'function_call') this.#toolCall(str(it.call_id), str(it.name), str(it.arguments));
    }
    if (response.status === 'failed') {
      const details = obj(response.status_details);
      this.logger.warn({ provider: this.provider, error: obj(details?.error) }, 'realtime: response failed');
    }
    this.emit({ type: 'response-done' });
    if (this.#calls.size > 0) {
      this.#callsResponseDone = true;
      this.#maybeFollowUp();
    }
  }

  /** One `response.create` once every call of the response is answered (protocols §5.5). */
  #maybeFollowUp(): void {
    if (!this.#callsResponseDone || this.#calls.size === 0) return;
    for (const c of this.#calls.values()) if (!c.answered) return;
    this.#calls.clear();
    this.#callsResponseDone = false;
    this.sendJson({ type: 'response.create' });
  }
}

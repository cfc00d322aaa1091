import type { CallEvent, CallEventBus } from '@switchboard/core';

type Listener = (event: CallEvent) => void;

interface LiveCall {
  workspaceId: string;
  /** What the call has published so far, partial transcripts left out, for a late follower. */
  history: CallEvent[];
  listeners: Set<Listener>;
}

/** A runaway call cannot grow its replay without end; the stream itself is never cut. */
const MAX_HISTORY = 2000;
/** Calls whose end this process never saw (another process ended them) are dropped past this. */
const MAX_CALLS = 10_000;

/**
 * Followers of calls running in this process, from the event bus: a follower first gets what the
 * call has published so far, then every event as it is published, until `call.ended`. Following a
 * call not running here waits for it, in case it starts here (an outbound call being dialled).
 */
export class LiveFeed {
  readonly #calls = new Map<string, LiveCall>();
  readonly #waiting = new Map<string, Set<Listener>>();
  readonly #unsubscribe: () => void;

  constructor(bus: CallEventBus) {
    this.#unsubscribe = bus.subscribe((e) => this.#publish(e));
  }

  /**
   * Replays the call's events so far (when it runs here) and follows it. `live` says whether it
   * runs here now; `stop` ends the following.
   */
  follow(callId: string, workspaceId: string, own: Listener): { live: boolean; stop: () => void } {
    // Another workspace's call is never told, whatever id a client guesses.
    const listener: Listener = (e) => {
      if (e.workspaceId === workspaceId) own(e);
    };
    const call = this.#calls.get(callId);
    if (call) {
      for (const e of call.history) listener(e);
      call.listeners.add(listener);
    } else {
      const set = this.#waiting.get(callId) ?? new Set();
      set.add(listener);
      this.#waiting.set(callId, set);
    }
    return {
      live: call !== undefined && this.runs(callId, workspaceId),
      stop: () => {
        this.#calls.get(callId)?.listeners.delete(listener);
        const waiting = this.#waiting.get(callId);
        waiting?.delete(listener);
        if (waiting?.size === 0) this.#waiting.delete(callId);
      },
    };
  }

  /** Whether a call of `workspaceId` with this id is running here now. */
  runs(callId: string, workspaceId: string): boolean {
    return this.#calls.get(callId)?.workspaceId === workspaceId;
  }

  close(): void {
    this.#unsubscribe();
    this.#calls.clear();
    this.#waiting.clear();
  }

  #publish(e: CallEvent): void {
    let call = this.#calls.get(e.callId);
    if (!call && e.type !== 'call.ended' && e.type !== 'call.analyzed') {
      call = { workspaceId: e.workspaceId, history: [], listeners: this.#waiting.get(e.callId) ?? new Set() };
      this.#waiting.delete(e.callId);
      this.#calls.set(e.callId, call);
      if (this.#calls.size > MAX_CALLS) this.#calls.delete(this.#calls.keys().next().value as string);
    }
    const listeners = call?.listeners ?? this.#waiting.get(e.callId);
    if (call && e.type !== 'transcript.partial' && call.history.length < MAX_HISTORY) call.history.push(e);
    if (e.type === 'call.ended') {
      this.#calls.delete(e.callId);
      this.#waiting.delete(e.callId);
    }
    for (const l of listeners ?? []) l(e);
  }
}

import type { CallEvent, CallEventOf, CallEventType, Logger } from '@switchboard/core';

/**
 * Stamps and sends the session's events. A failing subscriber is logged and ignored: it must not
 * take the call down.
 */
export class SessionEvents {
  readonly #emit: (event: CallEvent) => void;
  readonly #callId: string;
  readonly #workspaceId: string;
  readonly #logger: Logger;

  constructor(emit: (event: CallEvent) => void, callId: string, workspaceId: string, logger: Logger) {
    this.#emit = emit;
    this.#callId = callId;
    this.#workspaceId = workspaceId;
    this.#logger = logger;
  }

  send<T extends CallEventType>(type: T, data: CallEventOf<T>['data']): void {
    const event = {
      type,
      callId: this.#callId,
      workspaceId: this.#workspaceId,
      at: Date.now(),
      data,
    } as CallEvent;
    try {
      this.#emit(event);
    } catch (e) {
      this.#logger.error(
        { err: e instanceof Error ? e.message : String(e), event: type },
        'event subscriber threw',
      );
    }
  }
}
